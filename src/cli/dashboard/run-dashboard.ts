import type { DashboardSource } from './source.js';

/**
 * Show the dashboard on the terminal until the user quits. The only place
 * that loads ink and react, and only once a terminal is known to be there.
 */
export async function runDashboard(source: DashboardSource, options: { intervalMs?: number } = {}): Promise<void> {
  const [{ render }, { createElement }, { Dashboard }] = await Promise.all([import('ink'), import('react'), import('./dashboard.js')]);
  const app = render(createElement(Dashboard, { source, intervalMs: options.intervalMs ?? 1000 }), {
    exitOnCtrlC: true,
    alternateScreen: true,
    patchConsole: true,
  });
  await app.waitUntilExit();
}
