-- The language the customer complained in (the conversation's), so that what is written
-- for them about the complaint (the recourse once decided) comes in that one language.
-- Complaints filed before this column existed were taken in Chinese, the default.
ALTER TABLE complaints
    ADD COLUMN language TEXT NOT NULL DEFAULT 'zh' CHECK (language IN ('zh', 'en'));
