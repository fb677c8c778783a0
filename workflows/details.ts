// The experiment workflow's current details (the Temporal UI's line): the stage's line, the batch round, then tails.
import { setCurrentDetails } from '@temporalio/workflow';

export class CurrentDetails {
  private head = '';
  private batch = '';
  private tail: () => string = () => '';

  /** What follows the batch round (lost pages, steering), read at each show. */
  setTail(tail: () => string): void {
    this.tail = tail;
  }

  /** The main line (the stage, what the run waits for). */
  say(line: string): void {
    this.head = line;
    this.show();
  }

  /** The open batch round ('' when none). */
  sayBatch(line: string): void {
    this.batch = line ? `\n\n${line}` : '';
    this.show();
  }

  show(): void {
    setCurrentDetails(this.head + this.batch + this.tail());
  }
}
