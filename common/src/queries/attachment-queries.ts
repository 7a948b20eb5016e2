/** The `uploads` columns an `AttachmentRef` is made of (`attachmentRefFromRow`). */
export const UPLOAD_REF_COLUMNS = 'id, name, declared_size, content_type, kind, width, height, thumbnail';

/**
 * The gateway's claim of uploads for one send: `$1` upload ids, `$2` the sender, `$3` the
 * send's dedup id, `$4` UPLOAD_MAX_BYTES, `$5` how many ids. All or none: every upload must be
 * the sender's, complete, within the limit and unclaimed (or claimed by this same send, so a
 * resend of the request claims it again); the rows are locked, so two sends racing for one
 * upload cannot both win. Returns the claimed rows, none when any one is refused.
 */
export const CLAIM_UPLOADS = `with wanted as (
    select id from uploads
     where id = any($1::uuid[]) and owner_id = $2 and status = 'complete' and declared_size <= $4
       and (claimed_by is null or claimed_by = $3)
     for update),
  verdict as (select count(*) = $5 as all_ok from wanted)
  update uploads u set claimed_by = $3 from verdict
   where verdict.all_ok and u.id in (select id from wanted)
  returning ${UPLOAD_REF_COLUMNS.replace(/(\w+)/g, 'u.$1')}`;

/** Why uploads `$1` could not be claimed: each one's owner, status, size and claim. */
export const UPLOAD_CLAIM_STATE = `select id, owner_id, status, declared_size, claimed_by from uploads where id = any($1::uuid[])`;
