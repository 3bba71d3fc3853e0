import { currentProcess } from 'mp-conformance-kit';

export function work(greeting, { age }) {
  console.log(`${greeting}, ${age}: ${currentProcess().name}, pid ${process.pid}`);
}
