/** The parts of a `curl` command line that make an upload: URL, headers, and the file it sends. */

export interface CurlRequest {
  readonly urls: readonly string[];
  readonly headers: readonly string[];
  /** `--oauth2-bearer <token>`. */
  readonly bearer: string | undefined;
  /** The uploaded file and the option that sends it (`--data-binary`, `-F`, `-T`). */
  readonly file: { readonly path: string; readonly via: string } | undefined;
}

/** Options whose value is the next argument (or attached: `-HAuthorization…`, `--header=…`). */
const WITH_VALUE = new Set([
  '-H',
  '--header',
  '-d',
  '--data',
  '--data-binary',
  '--data-raw',
  '--data-ascii',
  '--data-urlencode',
  '-F',
  '--form',
  '--form-string',
  '-T',
  '--upload-file',
  '--url',
  '-X',
  '--request',
  '-o',
  '--output',
  '-w',
  '--write-out',
  '-m',
  '--max-time',
  '--connect-timeout',
  '--retry',
  '--retry-delay',
  '--retry-max-time',
  '-A',
  '--user-agent',
  '--cacert',
  '--capath',
  '-E',
  '--cert',
  '--key',
  '-e',
  '--referer',
  '-x',
  '--proxy',
  '-U',
  '--proxy-user',
  '-u',
  '--user',
  '--resolve',
  '-K',
  '--config',
  '--oauth2-bearer',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '--limit-rate',
  '--interface',
  '--stderr',
  '--trace',
  '--trace-ascii',
  '-r',
  '--range',
  '-z',
  '--time-cond',
  '--tls-max',
  '-Y',
  '--speed-limit',
  '-y',
  '--speed-time',
  '--max-filesize',
  '--dns-servers',
  '--local-port',
]);

/** `@C:\x.csv` or `@"C:\x.csv"` → the path; anything else is inline data, not a file. */
function atFile(value: string): string | undefined {
  return value.startsWith('@') ? value.slice(1).replace(/^"(.*)"$/, '$1') : undefined;
}

/** `file=@C:\x.csv;type=text/csv` → `C:\x.csv`. */
function formFile(value: string): string | undefined {
  const m = /^[^=]*=([@<])(.*)$/.exec(value);
  if (!m) return undefined;
  return m[2]!.replace(/^"([^"]*)".*$/, '$1').replace(/;(type|filename|headers|encoder)=.*$/i, '');
}

/** Reads curl's arguments (without the program name). */
export function readCurl(args: readonly string[]): CurlRequest {
  const urls: string[] = [];
  const headers: string[] = [];
  let bearer: string | undefined;
  let file: CurlRequest['file'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let opt = a;
    let value: string | undefined;
    const long = /^(--[\w-]+)=(.*)$/s.exec(a);
    if (long && WITH_VALUE.has(long[1]!)) [opt, value] = [long[1]!, long[2]!];
    else if (/^-[A-Za-z]./s.test(a) && WITH_VALUE.has(a.slice(0, 2)))
      [opt, value] = [a.slice(0, 2), a.slice(2)];
    else if (WITH_VALUE.has(a)) value = args[++i] ?? '';
    else {
      if (!a.startsWith('-')) urls.push(a);
      continue;
    }
    switch (opt) {
      case '-H':
      case '--header':
        headers.push(value);
        break;
      case '--url':
        urls.push(value);
        break;
      case '--oauth2-bearer':
        bearer = value;
        break;
      case '-d':
      case '--data':
      case '--data-binary':
      case '--data-ascii': {
        const path = atFile(value);
        if (path) file = { path, via: opt };
        break;
      }
      case '-F':
      case '--form': {
        const path = formFile(value);
        if (path) file = { path, via: opt };
        break;
      }
      case '-T':
      case '--upload-file':
        file = { path: value, via: opt };
        break;
    }
  }
  return { urls, headers, bearer, file };
}
