//! Figures over the store for metrics and supervisors: complaints per status and how many
//! open ones are past a deadline (the same rule as the `overdue` list filter), and
//! satisfaction ratings totalled per agent and queue.

use std::{str::FromStr, time::SystemTime};

use server_kit::time::unix_millis;
use sqlx::{AnyPool, Row};

use super::{ComplaintCounts, RatingTotal, StoreError, sql::corrupt, ticket_sql::parse};
use crate::domain::complaint::ComplaintStatus;

/// Complaints per status and the overdue open ones at `now`.
pub(super) async fn complaint_counts(
    pool: &AnyPool,
    now: SystemTime,
) -> Result<ComplaintCounts, StoreError> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n,
                SUM(CASE WHEN (status = 'received' AND (acknowledge_by < $1 OR decide_by < $1))
                           OR (status = 'in_review' AND decide_by < $1)
                         THEN 1 ELSE 0 END) AS overdue
         FROM complaints GROUP BY status ORDER BY status",
    )
    .bind(unix_millis(now))
    .fetch_all(pool)
    .await?;
    let mut counts = ComplaintCounts::default();
    for row in rows {
        let status: String = row.try_get("status")?;
        let status = ComplaintStatus::from_str(&status).map_err(|e| corrupt("complaints", e))?;
        let n: i64 = row.try_get("n")?;
        let overdue: i64 = row.try_get("overdue")?;
        counts.by_status.push((status, n.max(0) as u64));
        counts.overdue += overdue.max(0) as u64;
    }
    Ok(counts)
}

/// Ratings given at or after `since`, per agent and the rated ticket's queue.
pub(super) async fn rating_totals(
    pool: &AnyPool,
    since: SystemTime,
) -> Result<Vec<RatingTotal>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.agent_id, t.entrance, t.skill, COUNT(*) AS n, SUM(r.score) AS total
         FROM ticket_ratings r JOIN tickets t ON t.ticket_id = r.ticket_id
         WHERE r.rated_at >= $1
         GROUP BY r.agent_id, t.entrance, t.skill
         ORDER BY r.agent_id, t.entrance, t.skill",
    )
    .bind(unix_millis(since))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let count: i64 = row.try_get("n")?;
            let sum: i64 = row.try_get("total")?;
            let whole = |n: i64| u64::try_from(n).map_err(|e| corrupt("ticket_ratings", e));
            Ok(RatingTotal {
                agent_id: row.try_get("agent_id")?,
                entrance: parse("tickets", &row.try_get::<String, _>("entrance")?)?,
                skill: row.try_get("skill")?,
                count: whole(count)?,
                sum: whole(sum)?,
            })
        })
        .collect()
}
