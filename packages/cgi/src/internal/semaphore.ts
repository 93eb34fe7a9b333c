/** A counting semaphore with a bounded waiting line. */
export class Semaphore {
  readonly #limit: number
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(limit: number) {
    this.#limit = Math.max(1, limit)
  }

  /**
   * A slot, now or when one frees up; `undefined` when `maxWaiting` requests already wait.
   * Call the returned function exactly once to give the slot back.
   */
  acquire(maxWaiting: number): Promise<() => void> | undefined {
    if (this.#running < this.#limit) {
      this.#running++
      return Promise.resolve(this.#releaser())
    }
    if (this.#waiting.length >= maxWaiting) return undefined
    return new Promise((resolve) => {
      this.#waiting.push(() => {
        resolve(this.#releaser())
      })
    })
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiting.shift()
      if (next === undefined) this.#running--
      else next() // the slot passes straight to the next in line
    }
  }
}
