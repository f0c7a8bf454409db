//! The words the theme shows around the user's data, in each supported language.

use serde::Serialize;

use crate::config::Lang;

/// Interface text for one language; templates read it as `labels.*`.
#[derive(Debug, Serialize)]
pub struct Labels {
    pub name: &'static str,
    pub student_id: &'static str,
    pub major: &'static str,
    pub school: &'static str,
    pub email: &'static str,
    pub links: &'static str,
    pub profile: &'static str,
    pub introduction: &'static str,
    pub audio: &'static str,
    pub transcript: &'static str,
    pub download: &'static str,
    pub no_audio_support: &'static str,
    pub navigation: &'static str,
    pub home: &'static str,
    pub all_pages: &'static str,
    pub skip_to_content: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub back_home: &'static str,
    pub logo_alt_suffix: &'static str,
    pub duration: &'static str,
    /// The language's name in itself, for the language switcher (`English`, `中文`).
    pub language_name: &'static str,
    /// The language switcher's accessible name.
    pub languages: &'static str,
}

const ZH_CN: Labels = Labels {
    name: "姓名",
    student_id: "学号",
    major: "专业",
    school: "学校",
    email: "邮箱",
    links: "链接",
    profile: "个人信息",
    introduction: "自我介绍",
    audio: "语音自我介绍",
    transcript: "文字稿",
    download: "下载音频",
    no_audio_support: "你的浏览器无法播放这段音频，请下载后收听。",
    navigation: "站内导航",
    home: "首页",
    all_pages: "全部页面",
    skip_to_content: "跳到正文",
    not_found_title: "页面未找到",
    not_found_text: "你要找的页面不存在，可能已被移动或删除。",
    back_home: "返回首页",
    logo_alt_suffix: "的标志",
    duration: "时长",
    language_name: "中文",
    languages: "语言",
};

const EN: Labels = Labels {
    name: "Name",
    student_id: "Student ID",
    major: "Major",
    school: "School",
    email: "Email",
    links: "Links",
    profile: "Profile",
    introduction: "About me",
    audio: "Spoken self-introduction",
    transcript: "Transcript",
    download: "Download the audio",
    no_audio_support: "Your browser cannot play this audio; download it instead.",
    navigation: "Site navigation",
    home: "Home",
    all_pages: "All pages",
    skip_to_content: "Skip to content",
    not_found_title: "Page not found",
    not_found_text: "The page you asked for does not exist; it may have moved or been deleted.",
    back_home: "Back to the home page",
    logo_alt_suffix: "'s logo",
    duration: "Duration",
    language_name: "English",
    languages: "Languages",
};

const ZH_TW: Labels = Labels {
    name: "姓名",
    student_id: "學號",
    major: "主修",
    school: "學校",
    email: "電子郵件",
    links: "連結",
    profile: "個人資料",
    introduction: "自我介紹",
    audio: "語音自我介紹",
    transcript: "逐字稿",
    download: "下載音訊",
    no_audio_support: "你的瀏覽器無法播放這段音訊，請下載後收聽。",
    navigation: "站內導覽",
    home: "首頁",
    all_pages: "全部頁面",
    skip_to_content: "跳到正文",
    not_found_title: "找不到頁面",
    not_found_text: "你要找的頁面不存在，可能已被移動或刪除。",
    back_home: "返回首頁",
    logo_alt_suffix: "的標誌",
    duration: "長度",
    language_name: "繁體中文",
    languages: "語言",
};

/// The labels for `lang`.
pub fn for_lang(lang: Lang) -> &'static Labels {
    match lang {
        Lang::ZhCn => &ZH_CN,
        Lang::ZhTw => &ZH_TW,
        Lang::En => &EN,
    }
}
