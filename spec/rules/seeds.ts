/** The five seed documents in ../shared/seeds/ that the rules encode, by short id. */
export const SEEDS = {
  '000': { file: '000_7b455da260d6079c.txt', topic: 'process methods, daemons, zombies and orphans, Lock and the ticket sale' },
  '001': {
    file: '001_bf6aed0ade412c25.txt',
    topic: 'Lock, ticket sale, Process attributes, queues, producer/consumer, pipes, shared data',
  },
  '002': { file: '002_48c718ff077b2df3.txt', topic: 'creating processes, pid/ppid, isolation, join timing, zombies and orphans, daemons' },
  '003': { file: '003_02a64cd1ec502dfd.txt', topic: 'start is non-blocking, daemon monitors, join and terminate' },
  '004': { file: '004_744f4fd7aacb07f7.txt', topic: 'processes, join, isolation, daemons, Lock, Queue, JoinableQueue, the TCP server' },
} as const;
export type SeedId = keyof typeof SEEDS;
