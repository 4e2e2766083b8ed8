// What each scenario sends and expects. Shared by the apps (bench/apps/), the answer
// checks (bench/lib/check.ts) and the wrk scripts (bench/lib/wrk-scripts.ts), so the
// servers and the load can never disagree.

export const HELLO_BODY = 'Hello, World!';

/** Scenario "pipelined": requests per write. */
export const PIPELINE_DEPTH = 16;

/** Scenario "headers": a browser-like request. Host is added by wrk (and by the check),
 * so 14 here + Host = 15 header fields. */
export const HEADERS_PATH = '/search?q=tsgi&page=2';
export const BROWSER_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'],
  ['Accept-Language', 'en-US,en;q=0.5'],
  ['Accept-Encoding', 'gzip, deflate, br, zstd'],
  ['Referer', 'http://localhost/index.html'],
  ['Cookie', 'session=6f1c2a9e8b7d4c3f; theme=dark; _ga=GA1.1.123456789.1700000000'],
  ['Upgrade-Insecure-Requests', '1'],
  ['Sec-Fetch-Dest', 'document'],
  ['Sec-Fetch-Mode', 'navigate'],
  ['Sec-Fetch-Site', 'same-origin'],
  ['Sec-Fetch-User', '?1'],
  ['Priority', 'u=0, i'],
  ['Cache-Control', 'max-age=0'],
  ['DNT', '1'],
];
/** The six environ keys the headers app reads, in output order. */
export const HEADERS_ENVIRON_KEYS = [
  'REQUEST_METHOD', 'PATH_INFO', 'QUERY_STRING', 'HTTP_HOST', 'HTTP_USER_AGENT', 'HTTP_ACCEPT_LANGUAGE',
] as const;

/** What the headers app must answer for a request to `host` (JSON of the six keys). */
export function expectedHeadersAnswer(host: string): Record<string, string> {
  const byName = new Map(BROWSER_HEADERS.map(([k, v]) => [k.toLowerCase(), v]));
  return {
    REQUEST_METHOD: 'GET',
    PATH_INFO: HEADERS_PATH.split('?')[0]!,
    QUERY_STRING: HEADERS_PATH.split('?')[1]!,
    HTTP_HOST: host,
    HTTP_USER_AGENT: byName.get('user-agent')!,
    HTTP_ACCEPT_LANGUAGE: byName.get('accept-language')!,
  };
}

/** Scenario "upload": request body size; the app answers with the length it read. */
export const UPLOAD_SIZE = 4096;

/** Scenario "stream": CHUNK_COUNT chunks of CHUNK_SIZE bytes = 64 KiB. */
export const STREAM_CHUNK_COUNT = 16;
export const STREAM_CHUNK_SIZE = 4096;
/** Chunk i is filled with the letter 'a' + i, so the check sees order and size. */
export function streamChunk(i: number): Buffer {
  return Buffer.alloc(STREAM_CHUNK_SIZE, 97 + (i % 26));
}

/** Scenario "file": size of the sparse file sent through wsgi.file_wrapper. */
export const FILE_SIZE = 1024 * 1024 * 1024;
/** Environment variable that tells a server process where the file is. */
export const FILE_PATH_ENV = 'TSGI_BENCH_FILE';
/** TLS scenarios: PEM files of the server certificate and key, for the Node servers. */
export const TLS_CERT_ENV = 'TSGI_BENCH_TLS_CERT';
export const TLS_KEY_ENV = 'TSGI_BENCH_TLS_KEY';
/** nginx-proxy: the port the plain tsgi backend must listen on (else a free one). */
export const PORT_ENV = 'TSGI_BENCH_PORT';

/** Scenario "idle": connections held open while hello runs. */
export const IDLE_CONNECTIONS = 10_000;
