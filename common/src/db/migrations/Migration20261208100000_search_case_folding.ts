import { Migration } from '@mikro-orm/migrations';

/**
 * Search folds case in every cluster (issue 30), not only in those whose LC_CTYPE knows Unicode.
 *
 * PostgreSQL's text search lower-cases a word with the database's LC_CTYPE (libc), whatever
 * collation the text carries: under `C` (the test harness's and `make dev`'s clusters before
 * this, and any operator's cluster made with `--locale=C`) it folds ASCII only, so
 * `to_tsvector('simple', 'ПРИВЕТ')` keeps 'ПРИВЕТ', the Russian stemmer never sees a lower-case
 * word, and a search for "привет" misses "Привет". `lower()` with an explicit ICU collation folds
 * by Unicode in any cluster, so the indexed text is folded first:
 * - `neonchat_search_vector(text)`: what `messages_search_idx` indexes and the search matches,
 *   `to_tsvector('russian', f) || to_tsvector('simple', f)` of `f = lower(text collate "und-x-icu")`
 *   (stemmed Russian/English plus every word unstemmed for the typed prefix, as before).
 * - `neonchat_search_display(text)`: the text `ts_headline` marks. The text itself where the
 *   cluster's text search folds Cyrillic (the check is on constants, folded once at plan time),
 *   else the ICU-folded text, so the marks still land (the snippet is then lower case).
 * - `messages_search_idx` is rebuilt on `neonchat_search_vector(text)`. (A GIN index on
 *   `(chat_id, vector)` with btree_gin was tried: the planner did not use its chat_id keys, so it
 *   would only have cost the write path; docs/BENCHMARKS.md, "Issue 30".)
 * Both are SQL functions with a `RETURN` body, parsed once here (no search_path lookups later)
 * and inlined by the planner, so the index expression and the query's are the same expression.
 * A server built without ICU has no "und-x-icu": the functions then use the text as it is and
 * case folding is the cluster's LC_CTYPE's (initdb with `--lc-ctype=C.UTF-8` or any UTF-8 locale).
 * The query side needs nothing: the api lower-cases what was typed before `to_tsquery`.
 */
export class Migration20261208100000SearchCaseFolding extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $body$
      declare
        icu constant boolean := exists (select 1 from pg_catalog.pg_collation where collname = 'und-x-icu');
        folded constant text := case when icu then 'pg_catalog.lower(t collate pg_catalog."und-x-icu")' else 't' end;
        ctype_folds constant text :=
          $$pg_catalog.to_tsvector('pg_catalog.simple'::regconfig, 'Ы') = pg_catalog.to_tsvector('pg_catalog.simple'::regconfig, 'ы')$$;
      begin
        execute format(
          $f$create function neonchat_search_vector(t text) returns tsvector language sql immutable parallel safe
               return pg_catalog.to_tsvector('pg_catalog.russian'::regconfig, %1$s)
                   || pg_catalog.to_tsvector('pg_catalog.simple'::regconfig, %1$s)$f$,
          folded);
        execute format(
          $f$create function neonchat_search_display(t text) returns text language sql immutable parallel safe
               return case when %1$s then t else %2$s end$f$,
          ctype_folds, folded);
        drop index if exists messages_search_idx;
        create index messages_search_idx on messages using gin (neonchat_search_vector(text));
      end
      $body$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists messages_search_idx;');
    this.addSql(`create index messages_search_idx on messages using gin ((to_tsvector('russian', text) || to_tsvector('simple', text)));`);
    this.addSql('drop function if exists neonchat_search_display(text);');
    this.addSql('drop function if exists neonchat_search_vector(text);');
  }
}
