//! Figures over the complaints table for metrics: how many per status, and how many open
//! ones are past a deadline (the same rule as the `overdue` list filter).

use std::{str::FromStr, time::SystemTime};

use server_kit::time::unix_millis;
use sqlx::{AnyPool, Row};

use super::{ComplaintCounts, StoreError, sql::corrupt};
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
