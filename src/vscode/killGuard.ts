// The kill protection of the extension host, built once and handed to every kill remedy: this process,
// its ancestors (VS Code, its server, the extension host), and processes of other users are never touched.
import { buildProtection, defaultLookup, type Protection } from '../core/remedies/processes';

let guard: Protection | undefined;

export function killGuard(): Protection {
  guard ??= buildProtection({ selfPid: process.pid }, defaultLookup());
  return guard;
}
