/** A minimal typed event emitter (the core cannot use vscode.EventEmitter). */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (err) {
        // One broken listener must not stop the others or the poll loop.
        console.error('[dev-server-doctor] listener failed:', err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
