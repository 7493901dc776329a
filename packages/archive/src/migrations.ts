/**
 * The archive's schema, in versioned steps. `wabulk archive migrate` applies those the database
 * lacks, each in its own transaction with its row in wabulk_schema_migrations; every process checks
 * at start that the database is not newer than the last step it knows (SchemaMismatchError).
 * A step, once released, is never edited: a change is a new step.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'campaigns and recipients',
    sql: `
CREATE TABLE wabulk_campaigns (
  id                text PRIMARY KEY,
  account           text NOT NULL,
  template          text NOT NULL,
  priority          text NOT NULL,
  -- done | cancelled (as archived); restored = brought back to Redis by retry-failed (Redis is the record until it is archived again)
  state             text NOT NULL,
  total             bigint NOT NULL DEFAULT 0,
  sent              bigint NOT NULL DEFAULT 0,
  failed            bigint NOT NULL DEFAULT 0,
  cancelled         bigint NOT NULL DEFAULT 0,
  delivered         bigint NOT NULL DEFAULT 0,
  read              bigint NOT NULL DEFAULT 0,
  failed_after_send bigint NOT NULL DEFAULT 0,
  -- failed recipients by Kaleyra code; failed-after-send by the callback's code
  by_code           jsonb NOT NULL DEFAULT '{}',
  failed_after_send_by_code jsonb NOT NULL DEFAULT '{}',
  -- the whole campaign meta as Redis held it (refs, placeholders, schedule, window): what a restore puts back
  meta              jsonb NOT NULL,
  -- the retry generation reached (a restored campaign's retried job ids must be new ones)
  generation        integer NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz NOT NULL,
  archived_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wabulk_campaigns_account_created ON wabulk_campaigns (account, created_at DESC);
CREATE INDEX wabulk_campaigns_finished ON wabulk_campaigns (finished_at);

-- One row per recipient. variables/refs are json, not jsonb: json keeps a \\u0000 escape that jsonb refuses.
-- One row per recipient. status counters: sent = sent + delivered + read + failed-after-send rows.
CREATE TABLE wabulk_recipients (
  campaign_id  text NOT NULL REFERENCES wabulk_campaigns (id) ON DELETE CASCADE,
  number       text NOT NULL,
  status       text NOT NULL,
  message_id   text,
  code         text,
  reason       text,
  attempts     integer NOT NULL DEFAULT 0,
  variables    json,
  refs         json,
  -- failed-after-send keeps the send's own code here (code/reason hold the delivery failure)
  send_code    text,
  send_reason  text,
  updated_at   timestamptz NOT NULL,
  delivered_at timestamptz,
  read_at      timestamptz,
  PRIMARY KEY (campaign_id, number)
);
CREATE INDEX wabulk_recipients_message_id ON wabulk_recipients (message_id) WHERE message_id IS NOT NULL;

-- A campaign being copied: batches land in the staging table with the HSCAN cursor they reached,
-- committed together, so a re-run continues where a crash stopped; the last step moves them into
-- wabulk_recipients in one transaction (never half a campaign there).
CREATE TABLE wabulk_archive_runs (
  campaign_id text PRIMARY KEY,
  -- the HSCAN cursor reached ('end' once every entry is staged), and the campaign's write counter and
  -- entry count when the run was claimed: a run of another state of the campaign starts over
  cursor      text NOT NULL,
  writes      bigint NOT NULL,
  entries     bigint NOT NULL,
  -- the claim's owner: only the process holding the claim commits batches (a stalled one that lost it cannot move the cursor)
  owner       text NOT NULL,
  copied      bigint NOT NULL DEFAULT 0,
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE wabulk_archive_staging (
  campaign_id  text NOT NULL,
  number       text NOT NULL,
  status       text NOT NULL,
  message_id   text,
  code         text,
  reason       text,
  attempts     integer NOT NULL DEFAULT 0,
  variables    json,
  refs         json,
  send_code    text,
  send_reason  text,
  updated_at   timestamptz NOT NULL
);
CREATE INDEX wabulk_archive_staging_campaign ON wabulk_archive_staging (campaign_id);
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
