//! Rows of the complaint tables as domain values, and the WHERE clause of a filtered
//! list.

use std::time::SystemTime;

use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{Row, any::AnyRow};

use crate::{
    domain::{
        AgentCard,
        complaint::{AuditEntry, Complaint},
    },
    store::{ComplaintFilter, StoreError, sql::corrupt, ticket_sql::parse},
};

/// A bound value of a dynamically built statement.
pub(super) enum Value {
    Text(String),
    Int(i64),
}

pub(super) fn complaint_from_row(row: &AnyRow) -> Result<Complaint, StoreError> {
    let millis = |column: &str| -> Result<SystemTime, StoreError> {
        Ok(from_unix_millis(row.try_get(column)?))
    };
    let agent_id: String = row.try_get("agent_id")?;
    let text = |column: &str| -> Result<String, StoreError> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    Ok(Complaint {
        reference: row.try_get("reference")?,
        ticket_id: row.try_get("ticket_id")?,
        customer_id: row.try_get("customer_id")?,
        entrance: parse("complaints", &row.try_get::<String, _>("entrance")?)?,
        language: parse("complaints", &row.try_get::<String, _>("language")?)?,
        agent: AgentCard {
            agent_id: agent_id.clone(),
            work_number: text("work_number")?,
            display_name: text("display_name")?,
        },
        agent_id,
        category: parse("complaints", &row.try_get::<String, _>("category")?)?,
        description: row.try_get("description")?,
        status: parse("complaints", &row.try_get::<String, _>("status")?)?,
        outcome: row.try_get("outcome")?,
        filed_at: millis("filed_at")?,
        acknowledge_by: millis("acknowledge_by")?,
        decide_by: millis("decide_by")?,
        evidence_digest: row.try_get("evidence_digest")?,
        evidence_messages: u32::try_from(row.try_get::<i64, _>("evidence_messages")?)
            .map_err(|e| corrupt("complaints", e))?,
        highlighted_message_ids: row
            .try_get::<String, _>("highlighted_message_ids")?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        audit: Vec::new(),
    })
}

pub(super) fn audit_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        actor_id: row.try_get("actor_id")?,
        actor_role: row.try_get("actor_role")?,
        at: from_unix_millis(row.try_get("at")?),
        from: row
            .try_get::<Option<String>, _>("from_status")?
            .map(|s| parse("complaint_audit", &s))
            .transpose()?,
        to: parse("complaint_audit", &row.try_get::<String, _>("to_status")?)?,
        note: row.try_get("note")?,
    })
}

/// A WHERE clause under construction: conditions with `?` for their one value.
#[derive(Default)]
struct Where {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    /// Adds `condition`, every `?` in it standing for `value`.
    fn add(&mut self, condition: &str, value: Value) {
        self.values.push(value);
        let placeholder = format!("${}", self.values.len());
        self.conditions.push(condition.replace('?', &placeholder));
    }
}

/// The WHERE clause and its values for `filter`.
pub(super) fn filter_clause(filter: &ComplaintFilter) -> (String, Vec<Value>) {
    let mut w = Where::default();
    if let Some(customer) = &filter.customer_id {
        w.add("c.customer_id = ?", Value::Text(customer.clone()));
    }
    if let Some(entrance) = filter.entrance {
        w.add("c.entrance = ?", Value::Text(entrance.as_str().into()));
    }
    if let Some(agent) = &filter.agent_id {
        w.add("c.agent_id = ?", Value::Text(agent.clone()));
    }
    if let Some(before) = &filter.before_reference {
        w.add("c.reference < ?", Value::Text(before.clone()));
    }
    if let Some(now) = filter.overdue_at {
        w.add(
            "((c.status = 'received' AND (c.acknowledge_by < ? OR c.decide_by < ?))
              OR (c.status = 'in_review' AND c.decide_by < ?))",
            Value::Int(unix_millis(now)),
        );
    }
    if !filter.statuses.is_empty() {
        // Statuses are the domain's own names, never the caller's text.
        let names: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        w.conditions
            .push(format!("c.status IN ({})", names.join(", ")));
    }
    let clause = if w.conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.conditions.join(" AND "))
    };
    (clause, w.values)
}
