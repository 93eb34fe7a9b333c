/**
 * The connection table: who is connected, how many per client address, and — when the table is
 * full — which connection is doing the least and gives up its place to a newcomer.
 * @module
 */
import type { Socket } from 'node:net'
import type { ConnectionActivity, ConnectionHandler } from '../types.js'

/**
 * A connection younger than this that has sent nothing yet is not counted as "silent": its
 * request is most likely in flight (accepted, not read yet), and it must not be the first to go.
 */
const SILENT_AFTER_MS = 1000

/** Eviction order: lower goes first. Busy connections (a request in progress) never go. */
const IDLE = 0
const SILENT = 1
const SLOW_HEAD = 2

/**
 * A flood makes room once per accepted connection. Ranking the whole table each time would make
 * every accept cost O(table), and the kernel's accept queue — where a well-behaved newcomer waits
 * behind the flood — drains that much slower. So the ranking is kept for this long (and this
 * many victims), each victim re-checked when its turn comes.
 */
const RANKING_TTL_MS = 250
const RANKING_SIZE = 512

interface Victim {
  entry: TableEntry
  reason: string
}

/** One accepted TCP connection. */
export interface TableEntry {
  readonly socket: Socket
  /** The client's IP address, as the per-address limit counts it. */
  readonly address: string
  readonly acceptedAt: number
  /** Whether the socket carries plain HTTP (false: TLS, whose first bytes are a handshake). */
  readonly plain: boolean
  /** Set once the handler exists (after the TLS handshake for TLS connections). */
  handler: ConnectionHandler | undefined
  /** Set once the TLS handshake is done (always true for plain connections). */
  secured: boolean
  /** The socket the handler speaks through: the TLSSocket once secured, else `socket`. */
  top: Socket
}

/** Why a newcomer could not be admitted, or which connection made room for it. */
export type Admission =
  | { readonly admitted: true; readonly evicted?: { entry: TableEntry; reason: string } }
  | { readonly admitted: false; readonly reason: string }

export class ConnectionTable {
  readonly #max: number
  readonly #perAddress: number
  readonly #entries = new Map<Socket, TableEntry>()
  readonly #byAddress = new Map<string, Set<TableEntry>>()
  /** The least busy connections, best victim first, as ranked at `#rankedAt`. */
  #ranking: TableEntry[] = []
  #next = 0
  #rankedAt = -Infinity

  constructor(max: number, perAddress: number) {
    this.#max = max
    this.#perAddress = perAddress
  }

  get size(): number {
    return this.#entries.size
  }

  get sockets(): IterableIterator<Socket> {
    return this.#entries.keys()
  }

  /**
   * Find room for a new connection from `address`: over the per-address limit, that address's
   * least busy connection makes way (or the newcomer is refused); in a full table, the least
   * busy connection of anyone does. The evicted socket is the caller's to close.
   */
  admit(address: string, now: number): Admission {
    const mine = this.#byAddress.get(address)
    if (mine != null && mine.size >= this.#perAddress) {
      const victim = pickVictim(mine, now)
      if (victim == null) {
        return { admitted: false, reason: `${mine.size} connections from this address are all busy` }
      }
      return { admitted: true, evicted: victim }
    }
    if (this.#entries.size >= this.#max) {
      const victim = this.#rankedVictim(now)
      if (victim == null) return { admitted: false, reason: `all ${this.#entries.size} connections are busy` }
      return { admitted: true, evicted: victim }
    }
    return { admitted: true }
  }

  add(entry: TableEntry): void {
    this.#entries.set(entry.socket, entry)
    let mine = this.#byAddress.get(entry.address)
    if (mine == null) {
      mine = new Set()
      this.#byAddress.set(entry.address, mine)
    }
    mine.add(entry)
  }

  /** Forget a closed connection, or one evicted (so its place is free at once). */
  delete(socket: Socket): void {
    const entry = this.#entries.get(socket)
    if (entry == null) return
    this.#entries.delete(socket)
    const mine = this.#byAddress.get(entry.address)
    mine?.delete(entry)
    if (mine?.size === 0) this.#byAddress.delete(entry.address)
  }

  get(socket: Socket): TableEntry | undefined {
    return this.#entries.get(socket)
  }

  /** The table's best victim, from a ranking at most RANKING_TTL_MS old. */
  #rankedVictim(now: number): Victim | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt === 1 || now - this.#rankedAt > RANKING_TTL_MS || this.#next >= this.#ranking.length) {
        if (attempt === 1 && this.#rankedAt === now) return undefined
        this.#ranking = rank(this.#entries.values(), now)
        this.#next = 0
        this.#rankedAt = now
      }
      while (this.#next < this.#ranking.length) {
        const entry = this.#ranking[this.#next++] as TableEntry
        if (entry.socket.destroyed || !this.#entries.has(entry.socket)) continue
        const [rankNow, since] = standing(entry, now)
        if (rankNow === Infinity) continue
        return { entry, reason: describe(entry, rankNow, since, now) }
      }
    }
    return undefined
  }
}

/** Every evictable entry, best victim first (at most RANKING_SIZE of them). */
function rank(entries: Iterable<TableEntry>, now: number): TableEntry[] {
  const ranked: { entry: TableEntry; rank: number; since: number }[] = []
  for (const entry of entries) {
    if (entry.socket.destroyed) continue
    const [rankNow, since] = standing(entry, now)
    if (rankNow !== Infinity) ranked.push({ entry, rank: rankNow, since })
  }
  ranked.sort((a, b) => a.rank - b.rank || a.since - b.since)
  return ranked.slice(0, RANKING_SIZE).map((r) => r.entry)
}

function describe(entry: TableEntry, rankNow: number, since: number, now: number): string {
  const seconds = ((now - since) / 1000).toFixed(1)
  if (rankNow === IDLE) return `idle keep-alive for ${seconds} s`
  // A young silent connection ranks with slow heads, but is still described as what it is.
  if (rankNow === SILENT || isSilent(entry)) {
    return entry.secured ? `nothing received in ${seconds} s` : `TLS handshake unfinished after ${seconds} s`
  }
  return `request head unfinished after ${seconds} s`
}

/**
 * The connection that is doing the least: idle keep-alive first (longest idle), then those that
 * have sent nothing (or not finished a TLS handshake), oldest first, then the one that has been
 * slowest to send a complete head. Connections serving a request are never picked.
 */
function pickVictim(entries: Iterable<TableEntry>, now: number): Victim | undefined {
  let best: TableEntry | undefined
  let bestRank = Infinity
  let bestSince = Infinity
  for (const entry of entries) {
    if (entry.socket.destroyed) continue
    const [rank, since] = standing(entry, now)
    if (rank < bestRank || (rank === bestRank && since < bestSince)) {
      best = entry
      bestRank = rank
      bestSince = since
      if (rank === IDLE && since <= now - 1000) break // good enough; no need to scan on
    }
  }
  if (best == null) return undefined
  return { entry: best, reason: describe(best, bestRank, bestSince, now) }
}

/** `[rank, since]` of one connection (rank Infinity: busy, never evicted). */
function standing(entry: TableEntry, now: number): [number, number] {
  const { acceptedAt } = entry
  if (isSilent(entry)) return now - acceptedAt >= SILENT_AFTER_MS ? [SILENT, acceptedAt] : [SLOW_HEAD, acceptedAt]
  const activity: ConnectionActivity | undefined = entry.handler?.activity?.()
  if (activity == null) return [Infinity, Infinity]
  if (activity.state === 'idle') return [IDLE, activity.since]
  if (activity.state === 'head') return [SLOW_HEAD, activity.since]
  return [Infinity, Infinity]
}

/** Nothing received yet on a plain socket, or a TLS handshake not finished. */
function isSilent(entry: TableEntry): boolean {
  return !entry.secured || (entry.plain && entry.socket.bytesRead === 0)
}
