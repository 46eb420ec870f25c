/** How a follower (logs -f, events -f, status --watch, the MCP wait) is stopped, and how often it looks. */
export interface FollowControl {
  signal?: AbortSignal | undefined;
  intervalMs?: number | undefined;
}
