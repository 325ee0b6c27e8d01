import type { AccountTables } from '../accounts/tables.js';
import type { AgentTables } from '../agent/tables.js';
import type { AuditTables } from '../audit/tables.js';
import type { CreditTables } from '../credits/tables.js';
import type { KeyTables } from '../keys/tables.js';
import type { OrgTables } from '../orgs/tables.js';
import type { PasskeyTables } from '../passkeys/tables.js';
import type { ProjectTables } from '../projects/tables.js';
import type { StampTables } from '../stamps/tables.js';

/** The whole schema, composed from the tables each feature folder declares. */
export interface Database extends AccountTables, OrgTables, KeyTables, AgentTables, CreditTables, AuditTables, ProjectTables, PasskeyTables, StampTables {}
