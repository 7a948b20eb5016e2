import pg from 'pg';

/**
 * Words the seeded messages are made of, Russian and English, several forms of each so
 * stemming has work to do. They make 70 % of a message's words, drawn skewed (the first ones
 * far more often: a common word is in a tenth of all messages, as "привет" or "the" would be);
 * the rest are rare words from a long tail (`z1` … `z50000`, each in a few dozen messages).
 */
export const SEARCH_VOCABULARY = [
  'привет',
  'сообщение',
  'сообщения',
  'встреча',
  'встречи',
  'проект',
  'проекта',
  'проекты',
  'задача',
  'задачи',
  'отчёт',
  'отчёта',
  'релиз',
  'сервер',
  'сервера',
  'база',
  'данных',
  'завтра',
  'сегодня',
  'вчера',
  'спасибо',
  'документ',
  'документы',
  'письмо',
  'письма',
  'звонок',
  'звонка',
  'команда',
  'команды',
  'ошибка',
  'ошибки',
  'тест',
  'тесты',
  'клиент',
  'клиента',
  'договор',
  'оплата',
  'счёт',
  'цена',
  'поиск',
  'message',
  'messages',
  'meeting',
  'meetings',
  'project',
  'projects',
  'task',
  'tasks',
  'report',
  'reports',
  'release',
  'server',
  'servers',
  'database',
  'tomorrow',
  'today',
  'yesterday',
  'thanks',
  'hello',
  'document',
  'documents',
  'email',
  'call',
  'calls',
  'team',
  'error',
  'errors',
  'test',
  'tests',
  'client',
  'clients',
  'contract',
  'payment',
  'invoice',
  'price',
  'search',
  'deploy',
  'deployed',
  'review',
  'reviewed',
];
/** Rare words: `z1` … `z{TAIL}`. */
export const SEARCH_RARE_WORDS = 50_000;

export interface SearchSeed {
  readonly readerId: string;
  readonly readerName: string;
  /** The chats the reader is a member of, and how many messages each holds (they are even). */
  readonly readerChats: string[];
  readonly perChat: number;
  readonly seconds: number;
  /** The search index as the migration made it (`pg_get_indexdef`), rebuilt after the load. */
  readonly indexDefinition: string;
}

const chatId = (c: string) => `('00000000-0000-7000-9000-' || lpad(to_hex(${c}), 12, '0'))::uuid`;

/**
 * `messages` messages over `chats` group chats, written in SQL (`generate_series`): message g
 * goes to chat g mod `chats`, so every chat holds the same number and they interleave in time as
 * busy chats do; ids are ordered like UUIDv7 (by g). A writer is a member of every chat, the
 * reader of `memberOf` of them, spread evenly. The search index is dropped for the load and
 * built again after it (a bulk build, as `create index` on a grown table would be), then the
 * database is vacuumed and analyzed like one that has lived a while.
 */
export async function seedSearch(databaseUrl: string, messages: number, chats: number, memberOf: number): Promise<SearchSeed> {
  const started = performance.now();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const reader = '00000000-0000-7000-8000-000000000001';
    const writer = '00000000-0000-7000-8000-000000000002';
    const step = Math.max(1, Math.floor(chats / memberOf));
    await db.query(`insert into users (id, username, password_hash) values ($1, 'bench_reader', 'x'), ($2, 'bench_writer', 'x')`, [
      reader,
      writer,
    ]);
    await db.query(
      `insert into chats (id, type, name, created_by) select ${chatId('c')}, 'group', 'bench ' || c, $1 from generate_series(1, $2) as c`,
      [writer, chats],
    );
    await db.query(
      `insert into chat_members (chat_id, user_id, role)
       select ${chatId('c')}, $1::uuid, 'admin' from generate_series(1, $2) as c
       union all
       select ${chatId('c')}, $3::uuid, 'member' from generate_series(1, $2) as c where c % $4 = 0 and c / $4 <= $5`,
      [writer, chats, reader, step, memberOf],
    );
    const { rows } = await db.query<{ def: string }>(`select pg_get_indexdef('messages_search_idx'::regclass) as def`);
    const indexDefinition = rows[0]!.def;
    await db.query('drop index messages_search_idx');
    await db.query('select setseed(0.3)');
    await db.query(
      `insert into messages (id, chat_id, seq, sender_id, text, created_at)
       select ('01000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
              ${chatId('(g - 1) % $1 + 1')},
              (g - 1) / $1 + 1,
              case when g % 2 = 0 then $2::uuid else $3::uuid end,
              (select string_agg(case when random() < 0.7 then ($4::text[])[1 + floor(pow(random(), 2) * $5)::int]
                                      else 'z' || (1 + floor(random() * $6))::int end, ' ')
                 from generate_series(1, 4 + g % 9)),
              timestamptz '2026-01-01' + g * interval '100 milliseconds'
         from generate_series(1, $7) as g`,
      [chats, reader, writer, SEARCH_VOCABULARY, SEARCH_VOCABULARY.length, SEARCH_RARE_WORDS, messages],
    );
    await db.query(`set maintenance_work_mem = '512MB'`);
    await db.query(indexDefinition);
    await db.query(
      `update chats c set last_message_seq = m.seq, last_message_id = m.id
         from (select distinct on (chat_id) chat_id, seq, id from messages order by chat_id, seq desc) m where m.chat_id = c.id`,
    );
    await db.query('vacuum analyze');
    const member = await db.query<{ chat_id: string }>('select chat_id from chat_members where user_id = $1 order by chat_id', [reader]);
    return {
      readerId: reader,
      readerName: 'bench_reader',
      readerChats: member.rows.map((r) => r.chat_id),
      perChat: Math.floor(messages / chats),
      seconds: (performance.now() - started) / 1000,
      indexDefinition,
    };
  } finally {
    await db.end();
  }
}

export type SearchKind = 'word' | 'two_words' | 'typing' | 'rare';
export const SEARCH_KINDS: readonly SearchKind[] = ['word', 'two_words', 'typing', 'rare'];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** What a user types, of one kind: a common word, two of them, the first letters of one, a rare word. */
export function searchText(kind: SearchKind): string {
  if (kind === 'word') return pick(SEARCH_VOCABULARY);
  if (kind === 'two_words') return `${pick(SEARCH_VOCABULARY)} ${pick(SEARCH_VOCABULARY)}`;
  if (kind === 'rare') return `z${1 + Math.floor(Math.random() * SEARCH_RARE_WORDS)}`;
  const word = [...pick(SEARCH_VOCABULARY)];
  return word.slice(0, 3 + Math.floor(Math.random() * Math.max(1, word.length - 3))).join('');
}
