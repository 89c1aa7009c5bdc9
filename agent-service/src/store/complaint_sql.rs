//! The SQL implementation of [`ComplaintStore`], the same statements on SQLite and
//! PostgreSQL. A filing bumps the day's reference counter first (so SQLite takes the
//! write lock at once and PostgreSQL serialises same-day filings on the counter row),
//! then inserts the complaint, its evidence links and its first audit entry; a refused
//! insert rolls the counter back, so numbers have no gaps.

use std::collections::HashMap;

use async_trait::async_trait;
use server_kit::time::{unix_millis, yyyymmdd};
use sqlx::{AnyConnection, Row};

mod rows;

use self::rows::{Value, audit_from_row, complaint_from_row, filter_clause};
use super::{
    SqlStore, StoreError,
    complaints::{ComplaintFilter, ComplaintStore, FileOutcome, NewComplaint},
    sql::corrupt,
    ticket_sql::{TICKET_SELECT, ticket_from_row},
};
use crate::domain::{
    Entrance, Ticket,
    complaint::{AuditEntry, Complaint, ComplaintStatus, reference},
    evidence::Link,
};

/// How often a filing that lost a race re-reads before giving up.
const FILE_ATTEMPTS: usize = 3;
/// Evidence links per INSERT statement (4 parameters each, well under SQLite's limit).
const LINKS_PER_INSERT: usize = 500;

const COMPLAINT_SELECT: &str = "SELECT c.reference, c.ticket_id, c.customer_id, c.entrance,
        c.agent_id, a.work_number, a.display_name, c.category, c.description, c.status,
        c.outcome, c.filed_at, c.acknowledge_by, c.decide_by, c.evidence_digest,
        c.evidence_messages, c.highlighted_message_ids, c.request_digest, c.language
    FROM complaints c LEFT JOIN agents a ON a.agent_id = c.agent_id";

/// Appends `entry` to the complaint's audit trail inside the caller's transaction.
async fn insert_audit(
    conn: &mut AnyConnection,
    reference: &str,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO complaint_audit (reference, position, actor_id, actor_role, at, from_status, to_status, note)
         SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4, $5, $6, $7
         FROM complaint_audit WHERE reference = $1",
    )
    .bind(reference)
    .bind(&entry.actor_id)
    .bind(&entry.actor_role)
    .bind(unix_millis(entry.at))
    .bind(entry.from.map(ComplaintStatus::as_str))
    .bind(entry.to.as_str())
    .bind(&entry.note)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts the evidence chain inside the caller's transaction.
async fn insert_links(
    conn: &mut AnyConnection,
    reference: &str,
    links: &[Link],
) -> Result<(), StoreError> {
    for (chunk_no, chunk) in links.chunks(LINKS_PER_INSERT).enumerate() {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 4;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO complaint_evidence (reference, position, message_id, digest) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, link) in chunk.iter().enumerate() {
            query = query
                .bind(reference)
                .bind((chunk_no * LINKS_PER_INSERT + i + 1) as i64)
                .bind(link.message_id.as_str())
                .bind(link.digest.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

impl SqlStore {
    /// Stores the complaint under the day's next reference, or `None` when a unique
    /// rule (key, one complaint per ticket and customer) refused it.
    async fn insert_complaint(&self, new: &NewComplaint) -> Result<Option<Complaint>, StoreError> {
        let c = &new.complaint;
        let mut tx = self.writer().begin().await?;
        let day = yyyymmdd(c.filed_at);
        let number: i64 = sqlx::query(
            "INSERT INTO complaint_counters (day, last_number) VALUES ($1, 1)
             ON CONFLICT (day) DO UPDATE SET last_number = complaint_counters.last_number + 1
             RETURNING last_number",
        )
        .bind(&day)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last_number")?;
        let reference = reference(&day, u64::try_from(number).unwrap_or_default());
        let inserted = sqlx::query(
            "INSERT INTO complaints (reference, idempotency_key, request_digest, ticket_id,
                customer_id, entrance, agent_id, category, description, status, outcome,
                filed_at, acknowledge_by, decide_by, evidence_digest, evidence_messages,
                highlighted_message_ids, language)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18)
             ON CONFLICT DO NOTHING
             RETURNING reference",
        )
        .bind(&reference)
        .bind(&new.idempotency_key)
        .bind(&new.request_digest)
        .bind(&c.ticket_id)
        .bind(&c.customer_id)
        .bind(c.entrance.as_str())
        .bind(&c.agent_id)
        .bind(c.category.as_str())
        .bind(&c.description)
        .bind(c.status.as_str())
        .bind(&c.outcome)
        .bind(unix_millis(c.filed_at))
        .bind(unix_millis(c.acknowledge_by))
        .bind(unix_millis(c.decide_by))
        .bind(&c.evidence_digest)
        .bind(i64::from(c.evidence_messages))
        .bind(c.highlighted_message_ids.join("\n"))
        .bind(c.language.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_none() {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_links(&mut tx, &reference, &new.links).await?;
        for entry in &c.audit {
            insert_audit(&mut tx, &reference, entry).await?;
        }
        tx.commit().await?;
        self.complaint(&reference)
            .await?
            .map(Some)
            .ok_or_else(|| corrupt("complaints", "complaint vanished after filing"))
    }

    /// The first complaint matching `condition` (one bound parameter), with the digest
    /// of its request.
    async fn complaint_where(
        &self,
        condition: &str,
        params: &[&str],
    ) -> Result<Option<(Complaint, String)>, StoreError> {
        let sql = format!("{COMPLAINT_SELECT} WHERE {condition}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in params {
            query = query.bind(*p);
        }
        let Some(row) = query.fetch_optional(self.pool()).await? else {
            return Ok(None);
        };
        let mut complaint = complaint_from_row(&row)?;
        complaint.audit = self.audit(&complaint.reference).await?;
        Ok(Some((complaint, row.try_get("request_digest")?)))
    }

    async fn audit(&self, reference: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let mut trails = self.audits(&[reference.to_owned()]).await?;
        Ok(trails.remove(reference).unwrap_or_default())
    }

    /// The audit trails of `references`, each oldest first, in one query.
    async fn audits(
        &self,
        references: &[String],
    ) -> Result<HashMap<String, Vec<AuditEntry>>, StoreError> {
        if references.is_empty() {
            return Ok(HashMap::new());
        }
        let placeholders: Vec<String> = (1..=references.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT reference, actor_id, actor_role, at, from_status, to_status, note
             FROM complaint_audit WHERE reference IN ({}) ORDER BY reference, position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for reference in references {
            query = query.bind(reference.as_str());
        }
        let mut trails: HashMap<String, Vec<AuditEntry>> = HashMap::new();
        for row in query.fetch_all(self.pool()).await? {
            let reference: String = row.try_get("reference")?;
            trails
                .entry(reference)
                .or_default()
                .push(audit_from_row(&row)?);
        }
        Ok(trails)
    }
}

#[async_trait]
impl ComplaintStore for SqlStore {
    async fn complaint_counts(
        &self,
        now: std::time::SystemTime,
    ) -> Result<super::ComplaintCounts, StoreError> {
        super::counts_sql::complaint_counts(self.pool(), now).await
    }

    async fn file_complaint(&self, new: &NewComplaint) -> Result<FileOutcome, StoreError> {
        let c = &new.complaint;
        for _ in 0..FILE_ATTEMPTS {
            if let Some(complaint) = self.insert_complaint(new).await? {
                return Ok(FileOutcome::Created(complaint));
            }
            if let Some((complaint, digest)) = self
                .complaint_where("c.idempotency_key = $1", &[&new.idempotency_key])
                .await?
            {
                return Ok(if digest == new.request_digest {
                    FileOutcome::Replayed(complaint)
                } else {
                    FileOutcome::KeyReused(complaint)
                });
            }
            if let Some((complaint, _)) = self
                .complaint_where(
                    "c.ticket_id = $1 AND c.customer_id = $2",
                    &[&c.ticket_id, &c.customer_id],
                )
                .await?
            {
                return Ok(FileOutcome::AlreadyFiled(complaint));
            }
        }
        Err(StoreError::Conflict(format!(
            "a complaint about ticket {} kept changing while it was filed",
            c.ticket_id
        )))
    }

    async fn complaint(&self, reference: &str) -> Result<Option<Complaint>, StoreError> {
        Ok(self
            .complaint_where("c.reference = $1", &[reference])
            .await?
            .map(|(c, _)| c))
    }

    async fn complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>, StoreError> {
        let (clause, values) = filter_clause(filter);
        let sql = format!(
            "{COMPLAINT_SELECT} {clause} ORDER BY c.reference DESC LIMIT {}",
            filter.limit
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in values {
            query = match value {
                Value::Text(t) => query.bind(t),
                Value::Int(i) => query.bind(i),
            };
        }
        let mut complaints = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(complaint_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let references: Vec<String> = complaints.iter().map(|c| c.reference.clone()).collect();
        let mut trails = self.audits(&references).await?;
        for complaint in &mut complaints {
            complaint.audit = trails.remove(&complaint.reference).unwrap_or_default();
        }
        Ok(complaints)
    }

    async fn change_complaint_status(
        &self,
        reference: &str,
        from: ComplaintStatus,
        entry: &AuditEntry,
        outcome: Option<&str>,
    ) -> Result<Option<Complaint>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let changed = sqlx::query(
            "UPDATE complaints SET status = $3, outcome = COALESCE($4, outcome)
             WHERE reference = $1 AND status = $2
             RETURNING reference",
        )
        .bind(reference)
        .bind(from.as_str())
        .bind(entry.to.as_str())
        .bind(outcome)
        .fetch_optional(&mut *tx)
        .await?;
        if changed.is_none() {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_audit(&mut tx, reference, entry).await?;
        tx.commit().await?;
        self.complaint(reference).await
    }

    async fn evidence_links(&self, reference: &str) -> Result<Vec<Link>, StoreError> {
        let rows = sqlx::query(
            "SELECT message_id, digest FROM complaint_evidence
             WHERE reference = $1 ORDER BY position",
        )
        .bind(reference)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Link {
                    message_id: row.try_get("message_id")?,
                    digest: row.try_get("digest")?,
                })
            })
            .collect()
    }

    async fn served_tickets(
        &self,
        customer_id: &str,
        entrance: Entrance,
        limit: u32,
    ) -> Result<Vec<Ticket>, StoreError> {
        let sql = format!(
            "{TICKET_SELECT} WHERE t.customer_id = $1 AND t.entrance = $2
               AND t.agent_id IS NOT NULL
             ORDER BY t.created_at DESC, t.ticket_id DESC LIMIT {limit}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(customer_id)
            .bind(entrance.as_str())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(ticket_from_row)
            .collect()
    }
}
