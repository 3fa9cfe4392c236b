/**
 * undici parses HTTP with llhttp compiled to WebAssembly. On Node 20 (V8 11.3, tiering budget
 * 1.8M) a single small request to MIM already marks the parser hot; V8 then compiles it with
 * TurboFan in the background (~250 ms of CPU) and the process waits for that compile before it
 * exits, so every run that talked to MIM took ~0.3 s longer than its work. Node 24's V8 (13.6)
 * has a 13M default and does not show this, so only an older V8 gets a larger budget (a later V8
 * may drop the flag, and would print an error for it). The parser then stays on its baseline
 * code for longer, which bench/entra measured as no slower on a 100k-user Graph read.
 *
 * Imported first by every module that imports undici (http/undici.ts, sources/entra/http.ts):
 * llhttp is compiled on the first connection, after this has run. It lives here, not in the CLI's
 * entry, because `node:v8` loads Node's stream modules, which `--help`, `status` and
 * `config validate` otherwise never load (issue 14's cold start).
 */
import { setFlagsFromString } from 'node:v8';

if (Number.parseInt(process.versions.v8, 10) < 13) setFlagsFromString('--wasm-tiering-budget=100000000');
