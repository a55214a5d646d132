// Opt-in: the shipper against a real Elasticsearch cluster (none can be installed on the CI
// machines, so this file is outside the default suite: `npm run test:es` runs it). It fails,
// never skips, when AUTOTRACER_TEST_ES_URL is not set: asking for this run without a cluster
// is a mistake worth saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';
import { defer, drained, makeEvents, startShipper } from '../storage/helpers.js';

const realUrl = process.env.AUTOTRACER_TEST_ES_URL;

test('the shipper against a real Elasticsearch cluster', async (t) => {
  assert.ok(realUrl, 'set AUTOTRACER_TEST_ES_URL (e.g. http://127.0.0.1:9200) to the cluster to test against');
  const prefix = `autotracer-test-${Date.now()}`;
  const client = new Client({ node: realUrl, maxRetries: 0 });
  defer(t, async () => {
    await client.indices.delete({ index: `${prefix}-*` }, { ignore: [404] });
    await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }, { ignore: [404] });
    await client.close();
  });
  const { store, shipper } = startShipper(t, realUrl, { indexPrefix: prefix });
  const ids = (await store.storeBatch(makeEvents(50))).tracerIds;
  await drained(store, 'drained into the real cluster', 30_000);
  assert.equal(shipper.counters.deadLettered, 0);
  await client.indices.refresh({ index: `${prefix}-*` });
  const { count } = await client.count({ index: `${prefix}-*` });
  assert.equal(count, ids.length);
  const mapping = await client.indices.getMapping({ index: `${prefix}-*` });
  const props = Object.values(mapping)[0]?.mappings.properties;
  assert.equal(props?.tracer_time?.type, 'date');
});
