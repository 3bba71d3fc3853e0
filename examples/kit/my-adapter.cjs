// An adapter written in the project that installed the kit: here the kit's own adapter of its
// library, wrapped under another name; yours drives your implementation. The contract's types and
// constants are in mp-conformance-kit/adapter (docs/adapters.md; examples/adapters/ has three more).
const { CONTRACT_VERSION } = require('mp-conformance-kit/adapter');
const ours = require('mp-conformance-kit/adapters/ours').default;

exports.default = async (options) => {
  const adapter = await ours(options);
  return { ...adapter, contractVersion: CONTRACT_VERSION, name: 'wrapped-ours', description: 'our library, wrapped by another project' };
};
