/** The Dockerfile's promises that no build here can show (the production bases are not pulled here). */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dockerfile = fs.readFileSync(path.resolve(__dirname, '..', '..', 'Dockerfile'), 'utf8');

describe('Dockerfile', () => {
  it.each(['BUILD_IMAGE', 'RUNTIME_IMAGE'])('%s defaults to a pinned tag, not :latest', (arg) => {
    const value = dockerfile.match(new RegExp(`^ARG ${arg}=(\\S+)$`, 'm'))?.[1];
    expect(value).toMatch(/^registry\.access\.redhat\.com\/ubi9\/[\w-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
    expect(value).not.toMatch(/:latest$/);
    expect(value).toMatch(/[:@]/);
  });

  it('labels the image for the OpenShift console', () => {
    for (const label of ['io.k8s.display-name', 'io.k8s.description', 'io.openshift.tags'])
      expect(dockerfile).toMatch(new RegExp(`${label.replace(/\./g, '\\.')}="[^"]+"`));
  });
});
