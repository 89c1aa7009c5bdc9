//! `complaint.status` in a turn: the customer asks how their complaints stand (我的投诉
//! 处理得怎么样了), and the robot reads them from agent-service with its service identity
//! on the customer's behalf and lists those filed at this entrance. With none, the
//! catalogue's answer (nothing filed yet, how to file) stands; when agent-service cannot
//! be reached, the robot says so and gives the hotline.

use super::Engine;
use crate::{
    complaints::{status, texts},
    session::{Reply, Session},
};

/// The catalogue intent that asks for the customer's complaints.
pub const STATUS_INTENT: &str = "complaint.status";

impl Engine {
    /// `reply` (the catalogue's answer to `complaint.status`) with the customer's
    /// complaints at the session's entrance in its place.
    pub(super) async fn complaint_status(&self, session: &Session, mut reply: Reply) -> Reply {
        let hotline = &self.settings.hotline;
        match self.complaint_desk.mine(&session.user_id).await {
            Ok(mut mine) => {
                mine.retain(|c| c.entrance == session.entrance);
                if let Some(text) = status::report(reply.language, session.entrance, &mine, hotline)
                {
                    reply.text = text;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the customer's complaints");
                reply.text = texts::unavailable(reply.language, hotline, false);
            }
        }
        reply.quick_replies.clear();
        reply
    }
}
