// Offline checks of deploy/kubernetes: each object against the Kubernetes API schema
// (kubernetes-models' validate()), then the fields that must agree with the echomux.conf
// the ConfigMap carries, read through `echomux --print-config` so the conf is checked by
// echomux itself. Usage: node validate.mjs DEPLOY_DIR ECHOMUX_BINARY
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Service } from 'kubernetes-models/v1';

const [dir, echomux] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const objects = {};
for (const file of ['configmap.yaml', 'deployment.yaml', 'service.yaml']) {
  for (const doc of yaml.loadAll(readFileSync(`${dir}/${file}`, 'utf8'))) {
    const Model = { ConfigMap, Deployment, Service }[doc.kind];
    if (!Model) { failures.push(`${file}: unexpected kind ${doc.kind}`); continue; }
    try { new Model(doc).validate(); } catch (e) { failures.push(`${file}: ${e.message}`); }
    objects[doc.kind] = doc;
  }
}

const tmp = mkdtempSync('/tmp/echomux-k8s-');
writeFileSync(`${tmp}/echomux.conf`, objects.ConfigMap.data['echomux.conf']);
const printed = execFileSync(echomux, ['--config', `${tmp}/echomux.conf`, '--print-config'], { env: {} }).toString();
const conf = (key) => printed.match(new RegExp(`^${key} = (\\S+)`, 'm'))[1];
const bytes = (text) => {
  const m = text.match(/^(\d+)(K|KiB|M|MiB|G|GiB|Ki|Mi|Gi)?$/);
  const unit = { K: 1 << 10, KiB: 1 << 10, Ki: 1 << 10, M: 1 << 20, MiB: 1 << 20, Mi: 1 << 20, G: 1 << 30, GiB: 1 << 30, Gi: 1 << 30 }[m[2]] ?? 1;
  return Number(m[1]) * unit;
};
const seconds = (text) => Number(text.replace(/s$/, ''));

const pod = objects.Deployment.spec.template.spec;
const container = pod.containers.find((c) => c.name === 'echomux');
const portNamed = (name) => container.ports.find((p) => p.name === name)?.containerPort;
check(portNamed('echo') === Number(conf('port')), `container port 'echo' must be port = ${conf('port')}`);
check(portNamed('metrics') === Number(conf('metrics_port')), `container port 'metrics' must be metrics_port = ${conf('metrics_port')}`);
check(conf('listen') === '0.0.0.0' || conf('listen') === '::', 'listen must reach other pods (0.0.0.0 or ::)');
check(conf('metrics_listen') === '0.0.0.0' || conf('metrics_listen') === '::', 'metrics_listen must reach the kubelet');
// Readiness turns 503 at SIGTERM (the pod leaves the endpoints); liveness stays 200 until
// exit, so a stopping pod is never restarted.
check(['/readyz', '/healthz'].includes(container.readinessProbe?.httpGet?.path), 'readinessProbe must GET /readyz (or /healthz)');
check(container.livenessProbe?.httpGet?.path === '/livez', 'livenessProbe must GET /livez');
for (const probe of ['readinessProbe', 'livenessProbe'])
  check(container[probe]?.httpGet?.port === 'metrics', `${probe} must use the metrics port`);
const drain = seconds(conf('drain_timeout'));
const delay = seconds(conf('shutdown_delay'));
check(delay > 0, 'shutdown_delay must be set, so a rolling update refuses no client');
check(delay >= container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold,
  'shutdown_delay must outlast the readiness probe noticing the 503');
check(pod.terminationGracePeriodSeconds > delay + drain,
  `terminationGracePeriodSeconds must exceed shutdown_delay + drain_timeout (${delay + drain} s)`);
const worst = Number(conf('max_connections')) * bytes(conf('max_buffer_bytes')) + (32 << 20);
check(bytes(container.resources.limits.memory) >= worst, `memory limit must hold max_connections x max_buffer_bytes + 32Mi (${worst} bytes)`);
check(pod.enableServiceLinks === false, 'enableServiceLinks must be false (ECHOMUX_PORT would be set)');
check(pod.securityContext.runAsNonRoot === true && pod.securityContext.runAsUser === 10001, 'must run as the image user 10001, non-root');
check(container.securityContext.readOnlyRootFilesystem === true, 'root filesystem must be read-only');
const mount = container.volumeMounts.find((m) => m.mountPath === '/etc/echomux');
const volume = pod.volumes.find((v) => v.name === mount?.name);
check(volume?.configMap?.name === objects.ConfigMap.metadata.name, 'the ConfigMap must be mounted at /etc/echomux, where the image reads echomux.conf');
const labels = objects.Deployment.spec.template.metadata.labels;
const matches = (selector) => Object.entries(selector).every(([k, v]) => labels[k] === v);
check(matches(objects.Deployment.spec.selector.matchLabels), 'Deployment selector must match its pod labels');
check(matches(objects.Service.spec.selector), 'Service selector must match the pod labels');
for (const port of objects.Service.spec.ports)
  check(portNamed(port.targetPort) === port.port, `Service port ${port.name} must target the container port of that number`);

if (failures.length) {
  for (const f of failures) console.error(`FAIL: ${f}`);
  process.exit(1);
}
console.log(`deploy/kubernetes: ${Object.keys(objects).length} objects valid, consistent with echomux.conf`);
