/** Where a run reports on its forge: which configured forge, and which issue or pull request there. */
export interface ForgeLink {
  key: string;
  kind: 'github' | 'forgejo' | 'gitea';
  owner: string;
  repo: string;
  number: number;
}
