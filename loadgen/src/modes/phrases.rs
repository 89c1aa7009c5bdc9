//! What the simulated customers say: realistic Chinese and English questions for the two
//! entrances. Turn utterances are FAQ questions and chit-chat only — nothing that asks
//! for a person, files a complaint or starts a task — so every turn stays with the robot.

/// Consumer questions the robot answers itself (FAQs and chit-chat), Chinese and English.
pub const CONSUMER_TURNS: &[&str] = &[
    "你好",
    "我的快递到哪了",
    "物流信息三天没更新了",
    "怎么申请退款",
    "退款一直显示处理中是怎么回事",
    "衣服尺码不合适想退货",
    "七天无理由退货怎么操作",
    "付款的时候一直失败",
    "银行卡扣钱了订单还显示没付款",
    "忘记登录密码了怎么办",
    "短信验证码一直收不到",
    "电子发票在哪里下载",
    "怎么查看我的订单",
    "订单为什么被取消了",
    "卖家一直不发货怎么办",
    "谢谢你",
    "明白了谢谢",
    "Hello",
    "Where is my parcel?",
    "Tracking hasn't updated for days",
    "When will my refund arrive?",
    "How do I return an item?",
    "My card was declined",
    "I forgot my password",
    "Can I get a company invoice?",
    "Where can I see my orders?",
    "Thanks a lot",
];

/// Merchant questions, for classification at the MERCHANT entrance.
pub const MERCHANT_QUESTIONS: &[&str] = &[
    "货款什么时候到账",
    "提现到银行卡要多久",
    "为什么我的宝贝被删除了",
    "商品被降权了怎么办",
    "恶意差评能删除吗",
    "买家退回来的货是坏的",
    "怎么解冻保证金",
    "When is my next payout?",
    "My listing was removed",
    "How is the shop score calculated?",
    "A buyer opened a dispute",
    "How much is the security deposit?",
];

/// The problem every hand-off states before asking for a person (order.not_shipped).
pub const HANDOFF_PROBLEM: &str = "我的订单还没发货";

/// The intent [`HANDOFF_PROBLEM`] must be recognised as.
pub const HANDOFF_INTENT: &str = "order.not_shipped";

/// What the agents write in relay mode; a marker with the send time follows it.
pub const AGENT_LINES: &[&str] = &[
    "您好，我是您的专属客服，正在为您查询订单",
    "已经帮您催促卖家尽快发货了，请您耐心等待",
    "Thanks for waiting, I'm checking with the seller now",
    "卖家已回复今天内发出，物流单号稍后同步给您",
];
