-- The viewer's filters over its row index vx.rows (client/view/row-index.ts): an empty value means "any". Labels and
-- review reasons test bit masks (labelBits/reasonBits: the bits asked; -1: a value outside the masks, tested
-- on the lists); text search is contains() on the lower-cased text. ref = source:id is a row's key in the viewer's API.
WHERE ({{source}} = '' OR source = {{source}})
  AND ({{split}} = '' OR split = {{split}})
  AND (len({{labels}}) = 0
       OR ({{labelBits}}::BIGINT >= 0 AND {{labelMode}} = 'all' AND label_bits & {{labelBits}}::BIGINT = {{labelBits}}::BIGINT)
       OR ({{labelBits}}::BIGINT >= 0 AND {{labelMode}} <> 'all' AND label_bits & {{labelBits}}::BIGINT <> 0)
       OR ({{labelBits}}::BIGINT < 0 AND {{labelMode}} = 'all' AND list_has_all(labels, {{labels}}))
       OR ({{labelBits}}::BIGINT < 0 AND {{labelMode}} <> 'all' AND list_has_any(labels, {{labels}})))
  AND ({{verdict}} = '' OR verdict_or_none = {{verdict}})
  AND ({{usable}} = '' OR usable = ({{usable}} = 'true'))
  AND ({{phi}} = '' OR has_phi = ({{phi}} = 'true'))
  AND ({{flag}} = ''
       OR ({{flag}} = 'leak' AND leak_of IS NOT NULL)
       OR ({{flag}} = 'near-duplicate' AND near_duplicate_of IS NOT NULL)
       OR ({{flag}} = 'any' AND (leak_of IS NOT NULL OR near_duplicate_of IS NOT NULL OR has_phi))
       OR ({{flag}} = 'none' AND leak_of IS NULL AND near_duplicate_of IS NULL AND NOT has_phi))
  AND ({{reviewReason}} = ''
       OR ({{reasonBits}}::BIGINT > 0 AND reason_bits & {{reasonBits}}::BIGINT <> 0)
       OR ({{reasonBits}}::BIGINT < 0 AND list_contains(review_reasons, {{reviewReason}})))
  AND ({{promptVersion}} = '' OR prompt_version = {{promptVersion}})
  AND ({{q}} = '' OR contains(text_lower, lower({{q}})))
