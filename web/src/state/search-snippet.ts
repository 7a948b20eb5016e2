/**
 * The server's search snippet as text runs. The api sends the message's text HTML-escaped
 * (`&`, `<`, `>`) with `<mark>…</mark>` around the matched words: this client never gives it to
 * `innerHTML`. Only the two mark tags are read as markup; any other `<…>` stays literal text,
 * and only the entities the server (or an HTML escaper) writes are decoded.
 */
export interface SnippetRun {
  text: string;
  mark: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (_, name: string) => ENTITIES[name]!);
}

export function snippetRuns(snippet: string): SnippetRun[] {
  const runs: SnippetRun[] = [];
  let mark = false;
  for (const part of snippet.split(/(<\/?mark>)/)) {
    if (part === '<mark>') mark = true;
    else if (part === '</mark>') mark = false;
    else if (part) {
      const text = decodeEntities(part);
      const last = runs.at(-1);
      if (last && last.mark === mark) last.text += text;
      else runs.push({ text, mark });
    }
  }
  return runs;
}
