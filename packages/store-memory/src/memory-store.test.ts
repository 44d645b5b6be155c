import { describeEventStore } from '@replayrail/core/testing';
import { MemoryEventStore } from './memory-store.js';

describeEventStore('MemoryEventStore', async () => {
  const store = new MemoryEventStore();
  return {
    store,
    deleteEntries: async (stream, ids) => void store.deleteEntries(stream, ids),
    deleteStream: async (stream) => void store.deleteStream(stream),
    trim: async (stream, maxLength) => void store.trim(stream, maxLength),
    appendRaw: async (stream, fields) => store.appendRaw(stream, fields),
  };
});
