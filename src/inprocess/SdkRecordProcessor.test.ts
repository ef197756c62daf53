import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { ProcessorFailedError } from '../pipeline/ProcessorFailedError.ts';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { SdkRecordProcessor } from './SdkRecordProcessor.ts';

describe('SdkRecordProcessor', () => {
  it("a processor's bug makes emit throw a typed ProcessorFailedError naming the processor", () => {
    const buggy: RecordProcessor = {
      mutates: false,
      process: () => {
        throw new RangeError('Invalid array length');
      },
    };
    const seen: unknown[] = [];
    const after: RecordProcessor = { mutates: false, process: (v) => seen.push(v) > 0 };
    const dropped = new WeakSet<never>();
    const provider = new LoggerProvider({
      processors: [
        new SdkRecordProcessor('attributes/buggy', buggy, dropped),
        new SdkRecordProcessor('next', after, dropped),
      ],
    });
    let thrown: unknown;
    try {
      provider.getLogger('t').emit({ body: 'x' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProcessorFailedError);
    expect(thrown).toMatchObject({ code: 'PIPELINE_PERMANENT', processorId: 'attributes/buggy' });
    expect((thrown as Error).message).toMatch(/RangeError: Invalid array length/);
    expect(seen).toEqual([]);
  });
});
