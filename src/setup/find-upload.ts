/**
 * Finds MIM's Auto-sync upload in a task's Exec actions, however it is written: PowerShell
 * (`-Command`, `-EncodedCommand`, `-File script.ps1`) with Invoke-WebRequest / Invoke-RestMethod,
 * or curl.exe (directly or through cmd.exe). Reads only; nothing is executed. Each thing it cannot
 * find is an error saying what it looked for and what the task holds instead.
 */
import { SourceInvalidError } from '../core/errors.js';
import { programName, removeCaretEscapes, splitWindowsArgs } from './command-line.js';
import { readCurl } from './curl.js';
import {
  findRequests,
  firstString,
  hashtableEntries,
  type PsRequest,
  param,
  readAssignments,
  stringValue,
  type Variables,
} from './powershell.js';
import type { ExecAction } from './task-xml.js';

export interface Upload {
  /** The sync URL as the task writes it. */
  readonly url: string;
  /** `https://mobile-id.baltech.de` — everything before `/api/projects/`. */
  readonly baseUrl: string;
  /** The project name, percent-decoded. */
  readonly project: string;
  readonly token: string;
  /** The CSV the task uploads: a Windows path, as written (may hold `%USERPROFILE%`). */
  readonly csvPath: string;
  /** How the task uploads: `PowerShell Invoke-WebRequest -InFile`, `curl --data-binary`, … */
  readonly via: string;
  /** 1-based number of the Exec action. */
  readonly action: number;
  /** The script file the action runs, when it was read from one. */
  readonly script?: string | undefined;
}

export interface FindContext {
  /** The XML file, for messages. */
  readonly file: string;
  /** The text of a script a `-File` action names, or undefined when it is not at hand. */
  readonly readScript: (windowsPath: string) => { path: string; text: string } | undefined;
}

/** What one action yields: the pieces found so far. */
interface Candidate {
  readonly via: string;
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly csvPath?: string | undefined;
  readonly script?: string | undefined;
}

const MIM_URL = /^(https?:\/\/[^/?#]+(?:\/[^?#]*?)?)\/api\/projects\/([^/?#]+)\/sync\/?(?:[?#].*)?$/i;

/** Task XML text carries JSON-escaped slashes and quotes around values; drop both. */
function clean(value: string): string {
  return value
    .trim()
    .replace(/^(["'])(.*)\1$/s, '$2')
    .replace(/\\\//g, '/')
    .trim();
}

function bearer(header: string): string | undefined {
  const m = /^\s*(?:authorization\s*:\s*)?bearer\s+(\S+)\s*$/i.exec(header);
  return m ? clean(m[1]!) : undefined;
}

/** Hides tokens in text echoed back to the admin (an action's arguments, a statement). */
export function maskTokens(text: string): string {
  return (
    text
      .replace(/(bearer\s+|--oauth2-bearer[\s=]+|-token\s+)[^\s"'`;})]+/gi, '$1****')
      // an -EncodedCommand blob may hold the token, base64-encoded
      .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, (b) => `<base64, ${b.length} characters>`)
  );
}

export function maskToken(token: string): string {
  return token.length <= 8 ? '****' : `${token.slice(0, 4)}…${token.slice(-4)} (${token.length} characters)`;
}

function shorten(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

// --- PowerShell ------------------------------------------------------------------------------

function psRequestCandidate(req: PsRequest, vars: Variables, script: string): Candidate {
  if (/\.exe$/i.test(req.cmdlet)) {
    const args = req.tokens.map((t) =>
      t.kind === 'param'
        ? `-${t.name}${t.attached ? (stringValue(t.attached, vars) ?? '') : ''}`
        : (stringValue(t, vars) ?? ''),
    );
    return curlCandidate(args);
  }
  const uri = param(req, 'uri') ?? req.positional[0];
  const inFile = param(req, 'infile');
  const body = inFile ? undefined : param(req, 'body');
  const headers = param(req, 'headers');
  const tokenParam = param(req, 'token', 3);
  const auth = headers ? hashtableEntries(headers, vars).get('authorization') : undefined;
  // `$headers.Add('Authorization', 'Bearer …')` and the like: a literal anywhere in the script
  const literal = /bearer\s+([^\s"'`;})]+)/i.exec(script)?.[1];
  const token =
    (auth && bearer(auth)) ??
    (tokenParam ? firstString(tokenParam, vars) : undefined) ??
    (literal && !literal.startsWith('$') ? literal : undefined);
  const csv = inFile ? stringValue(inFile, vars) : body ? firstString(body, vars) : undefined;
  const how = inFile ? '-InFile' : body ? '-Body' : '';
  return {
    via: `PowerShell ${req.cmdlet} ${how}`.trim(),
    url: uri ? stringValue(uri, vars) : undefined,
    token: token ? clean(token) : undefined,
    csvPath: csv ? clean(csv) : undefined,
  };
}

function scriptCandidate(script: string, scriptFile?: string): Candidate | undefined {
  const vars = readAssignments(script);
  const found = findRequests(script).map((r) => psRequestCandidate(r, vars, script));
  const best = found.find((c) => c.url && c.csvPath) ?? found.find((c) => c.url) ?? found[0];
  return best && { ...best, script: scriptFile };
}

/** PowerShell's own options that take a value (any unambiguous prefix is accepted). */
const PS_VALUE_OPTIONS = [
  'executionpolicy',
  'windowstyle',
  'inputformat',
  'outputformat',
  'version',
  'configurationname',
  'workingdirectory',
  'settingsfile',
  'custompipename',
];

function psOption(arg: string): string | undefined {
  const m = /^[-/]([A-Za-z]+)$/.exec(arg);
  return m ? m[1]!.toLowerCase() : undefined;
}

function powershellCandidate(
  args: readonly string[],
  ctx: FindContext,
  action: number,
): Candidate | undefined {
  for (let i = 0; i < args.length; i++) {
    const opt = psOption(args[i]!);
    if (opt === undefined) {
      const rest = args.slice(i).join(' ');
      return /\.ps1$/i.test(args[i]!) ? fileCandidate(args[i]!, ctx, action) : scriptCandidate(rest);
    }
    if (
      opt === 'ep' ||
      opt === 'ex' ||
      opt === 'wd' ||
      PS_VALUE_OPTIONS.some((o) => opt.length >= 3 && o.startsWith(opt))
    ) {
      i++;
    } else if ('encodedcommand'.startsWith(opt) || opt === 'ec' || opt === 'enc') {
      const b64 = args[i + 1] ?? '';
      return scriptCandidate(Buffer.from(b64, 'base64').toString('utf16le'));
    } else if ('file'.startsWith(opt)) {
      return fileCandidate(args[i + 1] ?? '', ctx, action);
    } else if ('command'.startsWith(opt)) {
      return scriptCandidate(args.slice(i + 1).join(' '));
    }
  }
  return undefined;
}

function fileCandidate(scriptPath: string, ctx: FindContext, action: number): Candidate {
  const script = ctx.readScript(scriptPath);
  if (!script) {
    const name = scriptPath.split(/[\\/]/).pop();
    throw new SourceInvalidError(
      `Action ${action} runs the PowerShell script ${scriptPath}, which holds the upload, and that script is not next to the XML`,
      {
        place: ctx.file,
        fix: `Copy ${name} from the Windows machine into the folder of ${ctx.file} and run import-task again.`,
      },
    );
  }
  return scriptCandidate(script.text, script.path) ?? { via: 'PowerShell -File', script: script.path };
}

// --- curl ------------------------------------------------------------------------------------

function curlCandidate(args: readonly string[]): Candidate {
  const req = readCurl(args);
  const token = req.bearer ?? req.headers.map(bearer).find((t) => t !== undefined);
  return {
    via: `curl ${req.file?.via ?? ''}`.trim(),
    url: req.urls.find((u) => /^https?:/i.test(clean(u))) ?? req.urls[0],
    token: token ? clean(token) : undefined,
    csvPath: req.file ? clean(req.file.path) : undefined,
  };
}

// --- actions ---------------------------------------------------------------------------------

function actionCandidate(exec: ExecAction, ctx: FindContext, action: number): Candidate | undefined {
  let prog = programName(exec.command);
  let args = splitWindowsArgs(prog === 'cmd' ? removeCaretEscapes(exec.arguments) : exec.arguments);
  if (prog === 'cmd') {
    // cmd.exe /c <program> <args…>: skip cmd's own switches
    const start = args.findIndex((x) => !/^\/[a-z]$/i.test(x));
    const [first = '', ...rest] = start < 0 ? [] : args.slice(start);
    prog = programName(first);
    args = rest;
  }
  if (prog === 'powershell' || prog === 'pwsh') return powershellCandidate(args, ctx, action);
  if (prog === 'curl') return curlCandidate(args);
  return undefined;
}

function parseMimUrl(
  url: string,
  ctx: FindContext,
  c: Candidate,
  action: number,
): { baseUrl: string; project: string } {
  const m = MIM_URL.exec(url);
  if (!m) {
    throw new SourceInvalidError(
      `Action ${action} (${c.via}) uploads to ${url}, which is not MIM's sync URL (<base URL>/api/projects/<project>/sync)`,
      {
        place: ctx.file,
        fix: "Download the task again from the project's Auto-sync settings in MIM, or write the config by hand (config/example.json5: mim.baseUrl, mim.project).",
      },
    );
  }
  let project = m[2]!;
  try {
    project = decodeURIComponent(project);
  } catch {
    // not valid percent-encoding: keep the name as written
  }
  return { baseUrl: m[1]!, project };
}

function missing(
  what: string,
  c: Candidate,
  action: number,
  ctx: FindContext,
  fix: string,
): SourceInvalidError {
  const where = c.script ? ` (script ${c.script})` : '';
  return new SourceInvalidError(`Action ${action}${where} uploads with ${c.via}, but ${what}`, {
    place: ctx.file,
    fix,
  });
}

/** The upload in `actions`. Throws SourceInvalidError saying exactly what is missing. */
export function findUpload(actions: readonly ExecAction[], ctx: FindContext): Upload {
  const candidates = actions.map((a, i) => ({ c: actionCandidate(a, ctx, i + 1), action: i + 1 }));
  const pick =
    candidates.find((x) => x.c?.url && x.c.csvPath) ??
    candidates.find((x) => x.c?.url) ??
    candidates.find((x) => x.c);
  if (!pick?.c?.url) {
    const found = actions
      .map(
        (a, i) =>
          `action ${i + 1}: Command=${a.command || '(empty)'} Arguments=${shorten(maskTokens(a.arguments)) || '(empty)'}`,
      )
      .join('; ');
    throw new SourceInvalidError(`No Exec action uploads a file: found ${found}`, {
      place: ctx.file,
      fix: "This is not the Auto-sync task MIM hands out (it runs PowerShell Invoke-WebRequest/Invoke-RestMethod or curl.exe against <MIM>/api/projects/<project>/sync). Download it again from the project's Auto-sync settings, or write the config by hand from config/example.json5.",
    });
  }
  const { c, action } = pick;
  const url = clean(c.url!);
  if (!c.csvPath)
    throw missing(
      `it sends no file (looked for -InFile <file>, -Body (Get-Content <file>), --data-binary @<file>, -F file=@<file>, -T <file>)`,
      c,
      action,
      ctx,
      'Give the task as MIM wrote it, or set the drop folder by hand in the written config (sources[].folder).',
    );
  if (!c.token)
    throw missing(
      'it sends no token (looked for an "Authorization: Bearer <token>" header, -Headers @{Authorization = "Bearer <token>"}, -Token, --oauth2-bearer)',
      c,
      action,
      ctx,
      "Download the task again from the project's Auto-sync settings in MIM (the token is in it), or put the project token in a file and name it in mim.tokenFile.",
    );
  const { baseUrl, project } = parseMimUrl(url, ctx, c, action);
  return { url, baseUrl, project, token: c.token, csvPath: c.csvPath, via: c.via, action, script: c.script };
}
