//! The SQL implementation of [`OfferStore`]: offers as rows that only guarded `UPDATE`s
//! move out of `open`, each change announced to the other replicas in its transaction.

use std::time::SystemTime;

use async_trait::async_trait;
use server_kit::time::{from_unix_millis, unix_millis};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{
    OfferStore, OpenTicket, SqlStore, StoreError, Taken, TicketStore, Transition,
    chat_sql::assign_guarded,
    feed::{self, agent_line, ended_line, offered_line},
    ticket_sql::{TICKET_SELECT, ticket_from_row},
};
use crate::domain::{
    EventKind,
    routing::{Offer, OfferProblem},
};

/// Why an offer ended when another replica's accept found the ticket gone.
const MOVED_ON: &str = "the ticket was taken or closed";

const OFFER_COLUMNS: &str = "offer_id, ticket_id, agent_id, expires_at";

fn offer_from_row(row: &AnyRow) -> Result<Offer, StoreError> {
    Ok(Offer {
        offer_id: row.try_get("offer_id")?,
        ticket_id: row.try_get("ticket_id")?,
        agent_id: row.try_get("agent_id")?,
        expires_at: from_unix_millis(row.try_get("expires_at")?),
    })
}

/// Ends the offer inside the caller's transaction if it is still open; whether it was.
async fn end_one(
    conn: &mut AnyConnection,
    offer_id: &str,
    reason: &str,
    at: SystemTime,
) -> Result<bool, StoreError> {
    let ended = sqlx::query(
        "UPDATE offers SET status = 'ended', reason = $2, ended_at = $3
         WHERE offer_id = $1 AND status = 'open'",
    )
    .bind(offer_id)
    .bind(reason)
    .bind(unix_millis(at))
    .execute(conn)
    .await?;
    Ok(ended.rows_affected() > 0)
}

/// Why the agent cannot act on `offer_id` (it was not open, theirs and unexpired).
async fn problem(
    conn: &mut AnyConnection,
    offer_id: &str,
    agent_id: &str,
    at: SystemTime,
) -> Result<OfferProblem, StoreError> {
    let row =
        sqlx::query("SELECT agent_id, status, reason, expires_at FROM offers WHERE offer_id = $1")
            .bind(offer_id)
            .fetch_optional(conn)
            .await?;
    let Some(row) = row else {
        return Ok(OfferProblem::Unknown);
    };
    let (owner, status, reason): (String, String, String) = (
        row.try_get("agent_id")?,
        row.try_get("status")?,
        row.try_get("reason")?,
    );
    let expired = from_unix_millis(row.try_get("expires_at")?) <= at;
    Ok(match status.as_str() {
        _ if owner != agent_id => OfferProblem::NotYours,
        "open" if expired => OfferProblem::Ended(crate::domain::routing::state::EXPIRED.into()),
        "accepted" => OfferProblem::Ended("it was accepted".into()),
        _ => OfferProblem::Ended(reason),
    })
}

#[async_trait]
impl OfferStore for SqlStore {
    async fn record_offers(&self, offers: &[Offer], at: SystemTime) -> Result<(), StoreError> {
        let mut tx = self.writer().begin().await?;
        for offer in offers {
            sqlx::query(
                "INSERT INTO offers (offer_id, ticket_id, agent_id, made_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&offer.offer_id)
            .bind(&offer.ticket_id)
            .bind(&offer.agent_id)
            .bind(unix_millis(at))
            .bind(unix_millis(offer.expires_at))
            .execute(&mut *tx)
            .await?;
        }
        feed::announce_lines(&mut tx, self.announce(), offers.iter().map(offered_line)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn end_offers(
        &self,
        ended: &[(Offer, String)],
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        let mut tx = self.writer().begin().await?;
        let mut lines = Vec::new();
        for (offer, reason) in ended {
            if end_one(&mut tx, &offer.offer_id, reason, at).await? {
                lines.push(ended_line(&offer.offer_id, &offer.agent_id, reason));
            }
        }
        let count = lines.len();
        feed::announce_lines(&mut tx, self.announce(), lines).await?;
        tx.commit().await?;
        Ok(count)
    }

    async fn end_open_offers(&self, reason: &str, at: SystemTime) -> Result<usize, StoreError> {
        let mut tx = self.writer().begin().await?;
        let ended = sqlx::query(
            "UPDATE offers SET status = 'ended', reason = $1, ended_at = $2
             WHERE status = 'open' RETURNING offer_id, agent_id",
        )
        .bind(reason)
        .bind(unix_millis(at))
        .fetch_all(&mut *tx)
        .await?;
        let mut lines = Vec::with_capacity(ended.len());
        for row in &ended {
            let (offer_id, agent_id): (String, String) =
                (row.try_get("offer_id")?, row.try_get("agent_id")?);
            lines.push(ended_line(&offer_id, &agent_id, reason));
        }
        feed::announce_lines(&mut tx, self.announce(), lines).await?;
        tx.commit().await?;
        Ok(ended.len())
    }

    async fn open_offers(&self) -> Result<Vec<Offer>, StoreError> {
        let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE status = 'open'");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(offer_from_row)
            .collect()
    }

    async fn accept_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        at: SystemTime,
    ) -> Result<Taken, StoreError> {
        let mut tx = self.writer().begin().await?;
        let sql = format!(
            "UPDATE offers SET status = 'accepted', ended_at = $3
             WHERE offer_id = $1 AND agent_id = $2 AND status = 'open' AND expires_at > $3
             RETURNING {OFFER_COLUMNS}"
        );
        let taken = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(offer_id)
            .bind(agent_id)
            .bind(unix_millis(at))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = taken else {
            let problem = problem(&mut tx, offer_id, agent_id, at).await?;
            tx.rollback().await?;
            return Ok(Taken::Refused(problem));
        };
        let offer = offer_from_row(&row)?;
        let assigned = assign_guarded(&mut tx, &offer.ticket_id, agent_id, at).await?;
        if assigned.is_some() {
            let kind = EventKind::AgentJoined {
                agent_id: agent_id.to_owned(),
            };
            let moved = self
                .finish_transition(tx, &offer.ticket_id, assigned, at, &kind)
                .await?;
            return Ok(Taken::Accepted(offer, Box::new(moved)));
        }
        // The ticket moved on (closed, or taken through another offer): so does the offer.
        sqlx::query("UPDATE offers SET status = 'ended', reason = $2 WHERE offer_id = $1")
            .bind(offer_id)
            .bind(MOVED_ON)
            .execute(&mut *tx)
            .await?;
        let line = ended_line(offer_id, agent_id, MOVED_ON);
        feed::announce_lines(&mut tx, self.announce(), [line]).await?;
        tx.commit().await?;
        let now = self.ticket(&offer.ticket_id).await?;
        let moved = now.map(|ticket| Transition {
            ticket,
            event: None,
        });
        Ok(Taken::Accepted(offer, Box::new(moved)))
    }

    async fn decline_offer(
        &self,
        offer_id: &str,
        agent_id: &str,
        reason: &str,
        at: SystemTime,
    ) -> Result<Result<Offer, OfferProblem>, StoreError> {
        let mut tx = self.writer().begin().await?;
        let sql = format!(
            "UPDATE offers SET status = 'ended', reason = $3, ended_at = $4
             WHERE offer_id = $1 AND agent_id = $2 AND status = 'open' AND expires_at > $4
             RETURNING {OFFER_COLUMNS}"
        );
        let declined = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(offer_id)
            .bind(agent_id)
            .bind(reason)
            .bind(unix_millis(at))
            .fetch_optional(&mut *tx)
            .await?;
        let outcome = match declined {
            Some(row) => {
                let line = ended_line(offer_id, agent_id, reason);
                feed::announce_lines(&mut tx, self.announce(), [line]).await?;
                Ok(offer_from_row(&row)?)
            }
            None => Err(problem(&mut tx, offer_id, agent_id, at).await?),
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn routed_ticket(&self, ticket_id: &str) -> Result<Option<OpenTicket>, StoreError> {
        let sql = format!("{TICKET_SELECT} WHERE t.ticket_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(OpenTicket {
                ticket: ticket_from_row(&row)?,
                target_agent_id: row.try_get("target_agent_id")?,
                last_customer_message_at: None,
            })
        })
        .transpose()
    }

    async fn announce_agent(&self, agent_id: &str) -> Result<(), StoreError> {
        if !self.announce().0 {
            return Ok(());
        }
        let mut conn = self.writer().acquire().await?;
        feed::announce_lines(&mut conn, self.announce(), [agent_line(agent_id)]).await
    }
}
