import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { DashboardModel, DashboardRow } from '../../core/dashboard/model.js';
import type { RunState } from '../../core/run/status.js';
import { markInkLoaded } from './ink-loaded.js';
import type { DashboardSource, Snapshot } from './source.js';

markInkLoaded();

export interface DashboardProps {
  source: DashboardSource;
  /** How often to re-read the runs. */
  intervalMs?: number;
  /** Screen size; the terminal's when not given. */
  width?: number;
  height?: number;
  /** Called once when the user quits. */
  onExit?: () => void;
}

type View = { kind: 'list' } | { kind: 'log'; workspace: string; name: string } | { kind: 'confirm'; workspace: string; name: string };

const STATE_COLORS: Record<RunState, string> = {
  running: 'cyan',
  queued: 'yellow',
  prepared: 'gray',
  completed: 'green',
  blocked: 'yellow',
  failed: 'red',
  cancelled: 'gray',
};

function fit(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}

interface Columns {
  name: number;
  agent: number;
  state: number;
  elapsed: number;
  cost: number;
  qa: number;
}

function columnsFor(rows: readonly DashboardRow[]): Columns {
  const widest = (header: string, values: string[], max: number) => Math.min(max, Math.max(header.length, ...values.map((v) => v.length)));
  return {
    name: widest('RUN', rows.map((r) => r.name), 40),
    agent: widest('AGENT', rows.map((r) => r.agent), 16),
    state: widest('STATE', rows.map((r) => r.label), 22),
    elapsed: widest('ELAPSED', rows.map((r) => r.elapsed), 8),
    cost: widest('COST', rows.map((r) => r.cost), 10),
    qa: widest('QA', rows.map((r) => r.qa), 7),
  };
}

function RunLine({ row, selected, cols, width }: { row: DashboardRow; selected: boolean; cols: Columns; width: number }) {
  const head = `${selected ? '>' : ' '} ${fit(row.name, cols.name)}  ${fit(row.agent, cols.agent)}  `;
  const tail = `  ${fit(row.elapsed, cols.elapsed)}  ${fit(row.cost, cols.cost)}  ${fit(row.qa, cols.qa)}  `;
  const used = head.length + cols.state + tail.length;
  // One Text, so a narrow screen cuts the line instead of wrapping its cells.
  return (
    <Text wrap="truncate-end" bold={selected}>
      {head}
      <Text color={STATE_COLORS[row.state]}>{fit(row.label, cols.state)}</Text>
      {tail}
      <Text dimColor={!selected}>{clip(row.note, Math.max(0, width - used - 1))}</Text>
    </Text>
  );
}

function ListView({ model, selected, width, height, footer }: { model: DashboardModel; selected: number; width: number; height: number; footer: string | undefined }) {
  const cols = columnsFor(model.rows);
  const poolLines = model.pools.length === 0 ? 0 : model.pools.length + 2;
  const queueLines = model.queue.length === 0 ? 0 : model.queue.length + 2;
  const room = Math.max(1, height - 1 - 2 - poolLines - queueLines - 2 - 1);
  const start = selected < room ? 0 : selected - room + 1;
  const visible = model.rows.slice(start, start + room);
  const header = `  ${fit('RUN', cols.name)}  ${fit('AGENT', cols.agent)}  ${fit('STATE', cols.state)}  ${fit('ELAPSED', cols.elapsed)}  ${fit('COST', cols.cost)}  ${fit('QA', cols.qa)}  NOTE`;
  const poolWidth = Math.max(4, ...model.pools.map((p) => p.pool.length));
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>agentctl</Text>
        {`  ${model.running} running, ${model.queued} queued, ${model.rows.length} shown`}
        {model.frozen ? <Text color="yellow">{'  FROZEN: no new runs start until "agentctl thaw"'}</Text> : ''}
        {model.rows.length > room ? <Text dimColor>{`  (runs ${start + 1}-${start + visible.length} of ${model.rows.length})`}</Text> : ''}
      </Text>
      <Text> </Text>
      {model.rows.length === 0 ? (
        <Text dimColor>no runs yet; start one with: agentctl dispatch --repo org/name --issue N</Text>
      ) : (
        <Box flexDirection="column">
          <Text bold>{clip(header, width - 1)}</Text>
          {visible.map((row, i) => (
            <RunLine key={row.workspace} row={row} selected={start + i === selected} cols={cols} width={width} />
          ))}
        </Box>
      )}
      {model.pools.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>{`${'POOL'.padEnd(poolWidth)}  LIMIT  RUNNING  QUEUED  BACKOFF`}</Text>
          {model.pools.map((p) => (
            <Text key={p.pool} color={p.backoffSeconds > 0 ? 'yellow' : undefined}>
              {`${p.pool.padEnd(poolWidth)}  ${String(p.limit).padEnd(5)}  ${String(p.running).padEnd(7)}  ${String(p.queued).padEnd(6)}  ${p.backoff}`}
            </Text>
          ))}
        </Box>
      ) : null}
      {model.queue.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Text bold>QUEUE</Text>
          {model.queue.map((q) => (
            <Text key={q.workspace}>{clip(`${q.position}. ${q.name}  ${q.pool}  priority ${q.priority}  ${q.waitingFor}`, width - 1)}</Text>
          ))}
        </Box>
      ) : null}
      <Box flexDirection="column" marginTop={1}>
        {footer === undefined ? null : <Text color="yellow">{clip(footer, width - 1)}</Text>}
        <Text dimColor>↑/↓ or j/k select · l or enter: log · c: cancel · q: quit</Text>
      </Box>
    </Box>
  );
}

function LogView({ name, path, lines, width }: { name: string; path: string | undefined; lines: string[]; width: number }) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>{`log of ${name}`}</Text>
        <Text dimColor>{path === undefined ? '  (no agent log yet)' : `  ${path}`}</Text>
      </Text>
      {lines.map((line, i) => (
        <Text key={i}>{clip(line, width - 1)}</Text>
      ))}
      <Text dimColor>esc or q: back to the runs</Text>
    </Box>
  );
}

/** The live dashboard: runs, pools and queue, refreshed every `intervalMs`; a log view per run. */
export function Dashboard({ source, intervalMs = 1000, width: fixedWidth, height: fixedHeight, onExit }: DashboardProps) {
  const { exit } = useApp();
  const size = useWindowSize();
  const width = fixedWidth ?? size.columns;
  const height = fixedHeight ?? size.rows;
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [selectedWorkspace, setSelectedWorkspace] = useState<string | undefined>(undefined);
  const [view, setView] = useState<View>({ kind: 'list' });
  const [message, setMessage] = useState<string | undefined>(undefined);
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    const refresh = async () => {
      clearTimeout(timer);
      if (busy || stopped) return;
      busy = true;
      try {
        const next = await source.load();
        if (!stopped) {
          setSnapshot(next);
          // The selection stays on its run when the order changes.
          setSelectedWorkspace((previous) => previous ?? next.model.rows[0]?.workspace);
          setFailure(undefined);
        }
      } catch (error) {
        if (!stopped) setFailure(`could not read the runs: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
      if (!stopped) timer = setTimeout(() => void refresh(), intervalMs);
    };
    kick.current = () => void refresh();
    void refresh();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [source, intervalMs]);

  const rows = snapshot?.model.rows ?? [];
  const found = rows.findIndex((row) => row.workspace === selectedWorkspace);
  const selected = found === -1 ? 0 : found;
  const current = rows[selected];
  const rowsNow = useRef(rows);
  rowsNow.current = rows;
  /** Move the selection by `step` rows; keys typed faster than a render still each count. */
  const move = (step: number) =>
    setSelectedWorkspace((previous) => {
      const list = rowsNow.current;
      const at = Math.max(0, list.findIndex((row) => row.workspace === previous));
      return list[Math.min(list.length - 1, Math.max(0, at + step))]?.workspace ?? previous;
    });

  const logLines = Math.max(1, height - 3);
  const log = useMemo(
    () => (view.kind === 'log' ? source.logTail(view.workspace, logLines) : undefined),
    // Re-read the log on every refresh while it is open.
    [view, snapshot, source, logLines],
  );

  const quit = () => {
    onExit?.();
    exit();
  };

  useInput((input, key) => {
    if (view.kind === 'log') {
      if (key.escape || input === 'q' || input === 'h' || key.leftArrow) setView({ kind: 'list' });
      return;
    }
    if (view.kind === 'confirm') {
      setView({ kind: 'list' });
      if (input !== 'y' && input !== 'Y') {
        setMessage(`not cancelled: ${view.name}`);
        return;
      }
      setMessage(`cancelling ${view.name}…`);
      void source.cancel(view.workspace).then((line) => {
        setMessage(line);
        kick.current();
      });
      return;
    }
    if (input === 'q') return quit();
    if (key.downArrow) move(1);
    else if (key.upArrow) move(-1);
    else if (key.pageDown) move(10);
    else if (key.pageUp) move(-10);
    else if (/^[jk]+$/.test(input)) move([...input].reduce((sum, ch) => sum + (ch === 'j' ? 1 : -1), 0));
    else if ((input === 'l' || key.return || key.rightArrow) && current !== undefined) {
      setView({ kind: 'log', workspace: current.workspace, name: current.name });
    } else if (input === 'c' && current !== undefined) {
      if (current.state === 'running' || current.state === 'queued') {
        setView({ kind: 'confirm', workspace: current.workspace, name: current.name });
      } else {
        setMessage(`nothing to cancel: ${current.name} is ${current.state}`);
      }
    }
  });

  if (view.kind === 'log' && log !== undefined) return <LogView name={view.name} path={log.path} lines={log.lines} width={width} />;
  if (snapshot === undefined) return <Text dimColor>{failure ?? 'reading runs…'}</Text>;
  const footer =
    view.kind === 'confirm' ? `cancel ${view.name}? y to confirm, any other key to keep it` : (failure ?? message ?? snapshot.warnings.at(-1));
  return <ListView model={snapshot.model} selected={selected} width={width} height={height} footer={footer} />;
}
