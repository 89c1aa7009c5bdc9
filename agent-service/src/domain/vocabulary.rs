//! The small closed sets the human side talks in: entrances, presence, ticket status,
//! close reasons, who wrote a line, and the language a customer reads.

use std::{fmt, str::FromStr};

/// The two doors into honeydesk; each has its own human queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entrance {
    /// 小蜜: shoppers.
    Consumer,
    /// 万象: sellers.
    Merchant,
}

/// The language a customer reads: every text written for them is in this one language,
/// never two glued together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// Chinese, the platform's default.
    #[default]
    Zh,
    /// English.
    En,
}

/// Whether an agent can be offered conversations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Ready for offers.
    Available,
    /// Signed in, taking no new conversations.
    Away,
    /// Signed out.
    Offline,
}

/// Where a ticket stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// Waiting in a queue (an offer may be out to an agent).
    Queued,
    /// An agent accepted it and is chatting.
    WithAgent,
    /// Over; it can only be rated now.
    Closed,
}

/// Why a ticket closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The agent resolved it.
    Resolved,
    /// The agent handed the customer back to the robot.
    ReturnedToBot,
    /// The customer left the queue or ended their session.
    CustomerLeft,
    /// No customer message within the idle time.
    CustomerIdle,
}

/// Who wrote a transcript line or chat message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The shopper or seller.
    Customer,
    /// The robot.
    Bot,
    /// A human agent.
    Agent,
    /// honeydesk itself (notices).
    System,
}

macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored / displayed name.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!(concat!("unknown ", stringify!($ty), " '{}'"), other)),
                }
            }
        }
    };
}

text_enum!(Entrance { Consumer => "consumer", Merchant => "merchant" });
text_enum!(Language { Zh => "zh", En => "en" });
text_enum!(Presence { Available => "available", Away => "away", Offline => "offline" });
text_enum!(TicketStatus { Queued => "queued", WithAgent => "with_agent", Closed => "closed" });
text_enum!(CloseReason {
    Resolved => "resolved",
    ReturnedToBot => "returned_to_bot",
    CustomerLeft => "customer_left",
    CustomerIdle => "customer_idle",
});
text_enum!(Sender { Customer => "customer", Bot => "bot", Agent => "agent", System => "system" });

/// Lets other domain modules declare their own stored names the same way.
pub(crate) use text_enum;
