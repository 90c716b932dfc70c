// What this project reads of a package.json: its scripts and dependencies, unchecked (it is user input).

/** The parts of a package.json this module reads. Values are unchecked: package.json is user input. */
export interface PackageJson {
  readonly name?: unknown;
  readonly scripts?: unknown;
  readonly dependencies?: unknown;
  readonly devDependencies?: unknown;
}

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function scriptBody(pkg: PackageJson, name: string): string | null {
  const body = isRecord(pkg.scripts) && Object.hasOwn(pkg.scripts, name) ? pkg.scripts[name] : undefined;
  return typeof body === 'string' ? body : null;
}

export function hasScript(pkg: PackageJson, name: string): boolean {
  return scriptBody(pkg, name) !== null;
}

export function hasDependency(pkg: PackageJson, name: string): boolean {
  return [pkg.dependencies, pkg.devDependencies].some((d) => isRecord(d) && Object.hasOwn(d, name));
}
