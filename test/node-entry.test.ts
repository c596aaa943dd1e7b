/**
 * Node resolves `@pneumo/nn`, `@pneumo/tensor` and `@pneumo/kernels` to their
 * Node entries by the "node" export condition: a plain import gets Dawn's
 * WebGPU device and the file helpers, as `/node` does (kept as an alias).
 * Runs the built packages in a fresh Node process, as a user's script would.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function script(code: string) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('the packages in Node without /node', () => {
  it("import { init, randn } from '@pneumo/nn' trains on WebGPU and has the file helpers", () => {
    const r = script(`
      import { init, randn, saveSafetensors } from '@pneumo/nn';
      import * as viaNode from '@pneumo/nn/node';
      const device = await init();
      const x = randn([3, 4], { requiresGrad: true });
      x.mul(x).sum().backward();
      console.log(JSON.stringify({ device, on: x.device, grad: (await x.grad.data()).length, files: typeof saveSafetensors, same: viaNode.init === init }));`);
    expect(JSON.parse(r.stdout)).toEqual({ device: 'webgpu', on: 'webgpu', grad: 12, files: 'function', same: true });
    expect(r.stderr).not.toMatch(/browser entry|import init from/);
  });

  it('@pneumo/tensor and @pneumo/kernels resolve to their Node entries too', () => {
    const r = script(`
      import * as tensor from '@pneumo/tensor';
      import * as kernels from '@pneumo/kernels';
      console.log(JSON.stringify({ tensorInit: tensor.init === (await import('@pneumo/tensor/node')).init, createDevice: typeof kernels.createDevice, conv: typeof kernels.conv2dForward }));`);
    expect(JSON.parse(r.stdout)).toEqual({ tensorInit: true, createDevice: 'function', conv: 'function' });
  });

  it('init() on llvmpipe prints no Dawn warnings to a terminal or a pipe; PNEUMO_DEBUG=1 shows them', () => {
    // stderr on a shell pipe, as a terminal user piping through less would have it (Node's own spawn pipes are sockets).
    const stderrOf = (debug: string) =>
      spawnSync('sh', ['-c', '"$NODE" --input-type=module -e "$CODE" 2>&1 >/dev/null | cat'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          PNEUMO_DEBUG: debug,
          PNEUMO_ADAPTER: 'llvmpipe',
          NODE: process.execPath,
          CODE: "import { init, randn } from '@pneumo/nn'; await init(); (await randn([2]).data()); console.error('done');",
        },
      }).stdout;
    const quiet = stderrOf('0');
    expect(quiet).toMatch(/^pneumo: WebGPU adapter: .*llvmpipe.*\ndone\n$/);
    expect(stderrOf('1')).toMatch(/Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced/);
  });
});
