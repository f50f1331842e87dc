/**
 * The snmp-config nodes of this runtime by name, so a `msg.targets` entry can name the
 * profile to poll it with (`{ host, profile: "core-v3" }`): one worker flow serves a
 * fleet with mixed credentials, and no credential travels in a message. A config node
 * is added when it starts and removed when it closes (a redeploy replaces it).
 */

/** What the registry holds of a config node: enough to poll with it. */
export interface NamedProfile {
  /** undefined when the config node's configuration is invalid */
  profile: unknown;
  configError: string | undefined;
}

const byName = new Map<string, Set<NamedProfile>>();

/** Adds a started config node under its name (unnamed ones cannot be named by a target). */
export function addProfile(name: string | undefined, config: NamedProfile): void {
  const key = name?.trim();
  if (!key) return;
  let set = byName.get(key);
  if (!set) byName.set(key, (set = new Set()));
  set.add(config);
}

/** Removes a closing config node. */
export function removeProfile(name: string | undefined, config: NamedProfile): void {
  const key = name?.trim();
  if (!key) return;
  const set = byName.get(key);
  if (!set) return;
  set.delete(config);
  if (set.size === 0) byName.delete(key);
}

export type ProfileLookup<C> = { config: C } | { problem: 'unknown' | 'ambiguous' | 'invalid'; detail?: string };

/**
 * The config node named `name`: exactly one, with a valid configuration; otherwise what
 * is wrong (none has the name, two have it, or its configuration is invalid).
 */
export function findProfile<C extends NamedProfile>(name: string): ProfileLookup<C> {
  const set = byName.get(name.trim());
  if (!set || set.size === 0) return { problem: 'unknown' };
  if (set.size > 1) return { problem: 'ambiguous' };
  const [config] = set;
  if (!config.profile) return { problem: 'invalid', detail: config.configError };
  return { config: config as C };
}
