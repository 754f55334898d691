"""The conversion destinations the demo company's ad accounts have set up, in one place.

A real account creates these first (README: "Sending outcomes back to the ad platforms");
`dbt_project/seeds/conversion_map.csv` names them, and each platform's stand-in knows them so
that an upload to any other destination is refused as the platform would refuse it.
"""

from __future__ import annotations

# Google Ads conversion actions (type UPLOAD_CLICKS), the same ids in every client account:
# the resource name is customers/{customer_id}/conversionActions/{id}
GOOGLE_CONVERSION_ACTIONS = {"sql": 7001, "opportunity": 7002, "closed_won": 7003}
# Meta: the dataset (pixel) that receives Conversions API events, and its event names
META_DATASET_ID = "830012345678901"
META_EVENT_NAMES = {"sql": "QualifiedLead", "opportunity": "Opportunity", "closed_won": "Purchase"}
# LinkedIn conversion rules (urn:lla:llaPartnerConversion:{id}) of the demo's ad account
LINKEDIN_CONVERSION_RULES = {"sql": 9100001, "opportunity": 9100002, "closed_won": 9100003}
