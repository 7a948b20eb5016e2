import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

function configMap(file: string, name: string): Record<string, string> {
  const docs = parseAllDocuments(read(file)).map(
    (d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> },
  );
  const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.name === name);
  if (!cm?.data) throw new Error(`no ConfigMap ${name} in ${file}`);
  return cm.data;
}

/**
 * kustomize reads no file outside deploy/k8s, so the Kubernetes ConfigMaps carry copies of the
 * files that compose and `make cluster` mount: they must not drift apart.
 */
describe('deploy/k8s: ConfigMaps are the same as the files compose and make cluster use', () => {
  it('pgbouncer-config is deploy/pgbouncer/pgbouncer.ini', () => {
    expect(configMap('deploy/k8s/pgbouncer.yaml', 'pgbouncer-config')['pgbouncer.ini']).to.equal(read('deploy/pgbouncer/pgbouncer.ini'));
  });

  it("exporters-config is deploy/prometheus's exporter query and blackbox files", () => {
    const data = configMap('deploy/k8s/exporters.yaml', 'exporters-config');
    expect(data['postgres-exporter-queries.yml']).to.equal(read('deploy/prometheus/postgres-exporter-queries.yml'));
    expect(data['blackbox.yml']).to.equal(read('deploy/prometheus/blackbox.yml'));
  });
});
