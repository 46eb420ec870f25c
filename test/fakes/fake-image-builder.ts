import type { RuntimeName } from '../../src/core/container/container-spec.js';
import type { BuildRequest, ImageBuilder, ImageInfo, RunOnceResult } from '../../src/runtime/image-builder.js';

/**
 * An ImageBuilder for command tests: `build` replays scripted output lines
 * and adds the image; `runOnce` answers with a scripted result.
 */
export class FakeImageBuilder implements ImageBuilder {
  readonly builds: Array<BuildRequest & { files: string[]; contextFiles: Record<string, string> }> = [];
  readonly images = new Map<string, ImageInfo>();
  buildLines: string[] = ['STEP 1/2: FROM base', 'STEP 2/2: RUN true'];
  buildError: Error | undefined;
  runResult: RunOnceResult | Error = { exitCode: 0, output: '' };
  readonly runs: Array<{ image: string; argv: string[] }> = [];

  constructor(
    readonly name: RuntimeName = 'podman',
    private readonly readContext: (request: BuildRequest) => Record<string, string> = () => ({}),
  ) {}

  async build(request: BuildRequest, onLine: (line: string) => void): Promise<{ id: string | undefined }> {
    this.builds.push({ ...request, contextFiles: this.readContext(request) });
    for (const line of this.buildLines) onLine(line);
    if (this.buildError !== undefined) throw this.buildError;
    const id = `sha256:${'ab'.repeat(32)}`;
    this.images.set(request.tag, { id, digest: undefined, created: '2026-11-23T10:00:00Z', size: 1, labels: request.labels });
    return { id };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    return this.images.get(image);
  }

  async runOnce(image: string, argv: string[]): Promise<RunOnceResult> {
    this.runs.push({ image, argv });
    if (this.runResult instanceof Error) throw this.runResult;
    return this.runResult;
  }
}
