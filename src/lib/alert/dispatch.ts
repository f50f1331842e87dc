/**
 * From alert changes to notifications people can live with, as Alertmanager does it
 * after its rules: changes wait in the state's outbox, are held back while their
 * device is down (inhibition), and leave in groups — by default the changes one input
 * message caused, or, across messages, by labels with a group wait and a group
 * interval. Each group is one incident: its key is the PagerDuty dedup_key of the
 * alerts first announced in it, kept on the alerts so their resolutions close it.
 */
import type { AlertEngine, AlertRecord, OutboxEntry } from './engine';
import { fingerprint, incidentOf, type AlertNotification } from './notification';
import { NODATA_ALERTNAME } from './rules';

/**
 * - `message`: the changes of one device that one input message (or one timer tick)
 *   caused form one notification, sent at once;
 * - `labels`: alerts with the same values of `groupBy` form a group, sent `groupWait`
 *   after its first change, then at most every `groupInterval`;
 * - `none`: one notification per alert change (release 0.1).
 */
export type Grouping = 'message' | 'labels' | 'none';

export interface DispatchOptions {
  grouping: Grouping;
  /** Label names of `labels` grouping: device, alertname, severity, instance or inventory labels. */
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  /** Makes group keys differ between nodes (the node id), so two nodes never share an incident. */
  scope: string;
}

/** One notification: the alert changes it announces and the incidents involved. */
export interface AlertGroup {
  /** The group's key; also the incident key (dedup_key) of alerts first announced in it. */
  key: string;
  /** The label values the group is keyed on ({} with grouping none). */
  labels: Record<string, string>;
  grouping: Grouping;
  /** Changes, oldest first. */
  notifications: AlertNotification[];
  /** Incident keys of this group's firing alerts (one, unless an older incident is still open). */
  firingIncidents: string[];
  /** Incidents whose last firing alert resolved here: PagerDuty resolves them. */
  closedIncidents: string[];
  /** Alerts of this group still firing that this notification does not list. */
  stillFiring: number;
  /** When it was sent, ms. */
  time: number;
}

export class Dispatcher {
  constructor(private readonly engine: AlertEngine, private readonly opts: DispatchOptions) {}

  /**
   * Puts changes into the outbox. A change that waits on purpose — held back while its
   * device is down, or in a group's wait — is merged with the next change of the same
   * alert: an alert that fires and resolves before it was announced is never heard of,
   * a later change replaces an earlier one. A change that only waits for the write
   * ahead of its send is not merged: both go out, in order.
   */
  enqueue(notifications: AlertNotification[], now: number): void {
    const state = this.engine.state;
    for (const n of notifications) {
      let at = -1;
      for (let i = state.outbox.length - 1; i >= 0 && at < 0; i--) if (state.outbox[i].key === n.key) at = i;
      const earlier = at >= 0 ? state.outbox[at] : undefined;
      if (earlier && !(this.opts.grouping === 'labels' || earlier.held)) {
        if (n.status === 'firing' && n.repeat && earlier.notification.status === 'firing') continue;
      } else if (earlier) {
        const e = earlier.notification;
        if (n.status === 'resolved' && e.status === 'firing' && !e.repeat) {
          // announced neither way: nobody needs to hear of it
          state.outbox.splice(at, 1);
          continue;
        }
        if (n.status === 'firing' && n.repeat && e.status === 'firing') continue;
        if (n.status === 'firing' && e.status === 'resolved' && e.incident !== undefined && n.incident === undefined) {
          // fired again before its resolution went out: the same incident, still open
          n.incident = e.incident;
          const rec = state.alerts[n.key];
          if (rec) {
            rec.incident = e.incident;
            this.engine.changedDevices.add(rec.device);
          }
        }
        state.outbox.splice(at, 1);
      }
      state.outbox.push({ seq: ++state.seq, key: n.key, at: now, notification: n });
    }
  }

  /** True when notifications are waiting (held or not yet due). */
  get pending(): number {
    return this.engine.state.outbox.length;
  }

  /** Alerts held back now because their device is down. */
  held(): number {
    const down = this.devicesDown();
    return this.engine.state.outbox.filter((e) => this.inhibited(e.notification, down)).length;
  }

  /**
   * The groups due at `now`, taken out of the outbox; their firing alerts remember the
   * incident they were announced under. `all` sends waiting groups without their wait
   * (held ones stay).
   */
  take(now: number, all = false): AlertGroup[] {
    const state = this.engine.state;
    if (state.outbox.length === 0) return [];
    const down = this.devicesDown();
    const byGroup = new Map<string, { labels: Record<string, string>; entries: OutboxEntry[] }>();
    const keep: OutboxEntry[] = [];
    for (const e of state.outbox) {
      if (this.inhibited(e.notification, down)) {
        // a repeat is not worth holding; a firing or resolution is owed
        if (!e.notification.repeat) keep.push({ ...e, held: true });
        continue;
      }
      const { key, labels } = this.groupOf(e.notification);
      let g = byGroup.get(key);
      if (!g) byGroup.set(key, (g = { labels, entries: [] }));
      g.entries.push(e);
    }
    const groups: AlertGroup[] = [];
    for (const [key, g] of byGroup) {
      if (!all && !this.isDue(key, g.entries, now)) {
        keep.push(...g.entries);
        continue;
      }
      groups.push(this.build(key, g.labels, g.entries, now));
      if (this.opts.grouping === 'labels') state.groups[key] = { lastSent: now };
    }
    state.outbox = keep.sort((a, b) => a.seq - b.seq);
    this.forgetIdleGroups(now);
    return groups;
  }

  /** Groups keyed by label: when their next notification may leave, ms (undefined = nothing waits). */
  nextDue(now: number): number | undefined {
    if (this.opts.grouping !== 'labels') return this.engine.state.outbox.length > 0 ? now : undefined;
    let next: number | undefined;
    const down = this.devicesDown();
    const seen = new Map<string, OutboxEntry[]>();
    for (const e of this.engine.state.outbox) {
      if (this.inhibited(e.notification, down)) continue;
      const { key } = this.groupOf(e.notification);
      seen.set(key, [...(seen.get(key) ?? []), e]);
    }
    for (const [key, entries] of seen) {
      const due = this.dueAt(key, entries);
      if (next === undefined || due < next) next = due;
    }
    return next;
  }

  private isDue(key: string, entries: OutboxEntry[], now: number): boolean {
    if (this.opts.grouping !== 'labels') return true;
    return now >= this.dueAt(key, entries);
  }

  /** group_wait after the first change of a quiet group; group_interval after its last notification. */
  private dueAt(key: string, entries: OutboxEntry[]): number {
    const first = Math.min(...entries.map((e) => e.at));
    const last = this.engine.state.groups[key]?.lastSent;
    if (last !== undefined && first - last < this.opts.groupIntervalMs) return last + this.opts.groupIntervalMs;
    return first + this.opts.groupWaitMs;
  }

  private forgetIdleGroups(now: number): void {
    const groups = this.engine.state.groups;
    for (const [key, g] of Object.entries(groups)) {
      if (g.lastSent === undefined || now - g.lastSent > this.opts.groupIntervalMs) delete groups[key];
    }
  }

  private build(key: string, labels: Record<string, string>, entries: OutboxEntry[], now: number): AlertGroup {
    const state = this.engine.state;
    const notifications = entries.sort((a, b) => a.seq - b.seq).map((e) => e.notification);
    const firingIncidents = new Set<string>();
    for (const n of notifications) {
      if (n.status !== 'firing') continue;
      const rec = state.alerts[n.key];
      if (this.opts.grouping !== 'none' && n.incident === undefined) {
        n.incident = rec?.incident ?? key;
        if (rec && rec.incident === undefined) {
          rec.incident = n.incident;
          // the alert's device part is written again with its incident
          this.engine.changedDevices.add(rec.device);
        }
        // a resolution decided before this firing left belongs to the same incident
        for (const e of state.outbox) {
          if (e.key === n.key && e.notification.status === 'resolved' && e.notification.incident === undefined) e.notification.incident = n.incident;
        }
      }
      firingIncidents.add(incidentOf(n));
    }
    const open = new Set<string>();
    for (const rec of Object.values(state.alerts)) {
      if (rec.phase === 'firing' && rec.notifiedAt !== undefined) open.add(incidentOf(recordIncident(rec)));
    }
    const closed = new Set<string>();
    for (const n of notifications) {
      if (n.status !== 'resolved') continue;
      const incident = incidentOf(n);
      // an alert that fired and resolved between two sends opens and closes its incident
      if (!open.has(incident)) closed.add(incident);
    }
    const listed = new Set(notifications.map((n) => n.key));
    let stillFiring = 0;
    if (this.opts.grouping !== 'none') {
      for (const [k, rec] of Object.entries(state.alerts)) {
        if (rec.phase === 'firing' && rec.notifiedAt !== undefined && !listed.has(k) && this.groupOf(rec).key === key) stillFiring++;
      }
    }
    return { key, labels, grouping: this.opts.grouping, notifications, firingIncidents: [...firingIncidents], closedIncidents: [...closed], stillFiring, time: now };
  }

  /** The group of a change or a stored alert. */
  private groupOf(a: Pick<AlertNotification, 'alertname' | 'device' | 'incident'> & ({ index: string; instance: string } | AlertRecord)): { key: string; labels: Record<string, string> } {
    const index = 'index' in a ? a.index : (a as AlertRecord).instance;
    switch (this.opts.grouping) {
      case 'none':
        return { key: incidentOf({ alertname: a.alertname, device: a.device, index, incident: a.incident }), labels: {} };
      case 'message':
        return { key: fingerprint('group', this.opts.scope, a.device), labels: { device: a.device } };
      case 'labels': {
        const all = this.engine.labelsOf({ alertname: a.alertname, device: a.device, instance: index, instanceName: 'index' in a ? a.instance : (a as AlertRecord).instanceName });
        const labels: Record<string, string> = {};
        for (const name of this.opts.groupBy) {
          labels[name] = name === 'alertname' || name === 'device' || name === 'severity' || name === 'instance' || name === 'index' ? all[name] : all.labels[name] ?? '';
        }
        return { key: fingerprint('group', this.opts.scope, JSON.stringify(labels)), labels };
      }
    }
  }

  /** Devices whose device-down alert fires now. */
  private devicesDown(): Set<string> {
    const down = new Set<string>();
    for (const rec of Object.values(this.engine.state.alerts)) {
      if (rec.phase === 'firing' && this.engine.ruleOf(rec.alertname)?.kind === 'device-down') down.add(rec.device);
    }
    return down;
  }

  /** Held back: its device is down and its rule lets device-down inhibit it (NoData alerts always do). */
  private inhibited(n: AlertNotification, down: Set<string>): boolean {
    if (!down.has(n.device)) return false;
    if (n.alertname === NODATA_ALERTNAME) return true;
    const rule = this.engine.ruleOf(n.alertname);
    return rule !== undefined && rule.inhibit;
  }
}

function recordIncident(rec: AlertRecord): { alertname: string; device: string; index: string; incident?: string } {
  return { alertname: rec.alertname, device: rec.device, index: rec.instance, incident: rec.incident };
}
