//! The sandbox's weather: a small fixed table of cities and three days, so demos and
//! tests get stable answers.

/// One day's weather.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forecast {
    /// Conditions in Chinese.
    pub zh: &'static str,
    /// Conditions in English.
    pub en: &'static str,
    /// Lowest temperature, °C.
    pub low: i32,
    /// Highest temperature, °C.
    pub high: i32,
}

const fn f(zh: &'static str, en: &'static str, low: i32, high: i32) -> Forecast {
    Forecast { zh, en, low, high }
}

/// City id, Chinese name, English name, and today / tomorrow / the day after.
type Row = (&'static str, &'static str, &'static str, [Forecast; 3]);

const TABLE: [Row; 10] = [
    (
        "beijing",
        "北京",
        "Beijing",
        [
            f("晴", "sunny", 8, 19),
            f("多云", "cloudy", 9, 20),
            f("大风", "windy", 5, 14),
        ],
    ),
    (
        "shanghai",
        "上海",
        "Shanghai",
        [
            f("多云", "cloudy", 15, 22),
            f("小雨", "light rain", 14, 19),
            f("阴", "overcast", 13, 18),
        ],
    ),
    (
        "hangzhou",
        "杭州",
        "Hangzhou",
        [
            f("阴", "overcast", 14, 21),
            f("小雨", "light rain", 18, 24),
            f("晴", "sunny", 12, 23),
        ],
    ),
    (
        "guangzhou",
        "广州",
        "Guangzhou",
        [
            f("雷阵雨", "thunderstorms", 22, 29),
            f("多云", "cloudy", 21, 28),
            f("晴", "sunny", 20, 30),
        ],
    ),
    (
        "shenzhen",
        "深圳",
        "Shenzhen",
        [
            f("多云", "cloudy", 22, 28),
            f("阵雨", "showers", 21, 27),
            f("晴", "sunny", 21, 29),
        ],
    ),
    (
        "chengdu",
        "成都",
        "Chengdu",
        [
            f("阴", "overcast", 12, 17),
            f("小雨", "light rain", 11, 15),
            f("多云", "cloudy", 12, 18),
        ],
    ),
    (
        "nanjing",
        "南京",
        "Nanjing",
        [
            f("晴", "sunny", 10, 21),
            f("晴", "sunny", 11, 22),
            f("多云", "cloudy", 12, 20),
        ],
    ),
    (
        "wuhan",
        "武汉",
        "Wuhan",
        [
            f("多云", "cloudy", 13, 22),
            f("中雨", "rain", 12, 17),
            f("阴", "overcast", 11, 18),
        ],
    ),
    (
        "xian",
        "西安",
        "Xi'an",
        [
            f("晴", "sunny", 6, 18),
            f("多云", "cloudy", 7, 17),
            f("晴", "sunny", 5, 16),
        ],
    ),
    (
        "chongqing",
        "重庆",
        "Chongqing",
        [
            f("雾", "fog", 15, 20),
            f("阴", "overcast", 15, 21),
            f("小雨", "light rain", 14, 19),
        ],
    ),
];

/// The forecast for city `id` on `day` (`today`, `tomorrow`, `day_after`), with the
/// city's Chinese and English names.
pub fn lookup(id: &str, day: &str) -> Option<(&'static str, &'static str, Forecast)> {
    let index = match day {
        "today" => 0,
        "tomorrow" => 1,
        "day_after" => 2,
        _ => return None,
    };
    TABLE
        .iter()
        .find(|row| row.0 == id)
        .map(|row| (row.1, row.2, row.3[index]))
}
