"""The entry point others use: all stand-ins for one world, and the settings to reach them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sandbox.faults import Faults
from sandbox.google_ads_server import GoogleAdsServer
from sandbox.http import StandInServer
from sandbox.hubspot_server import HubSpotServer
from sandbox.linkedin_ads_server import LinkedInAdsServer
from sandbox.meta_ads_server import MetaAdsServer
from sandbox.salesforce_server import SalesforceServer
from sandbox.world import World


@dataclass
class DemoSources:
    hubspot: HubSpotServer
    google_ads: GoogleAdsServer
    env: dict[str, str]  # exactly the THINLINE_* settings an extractor needs to reach them
    salesforce: SalesforceServer | None = None  # a default keeps positional construction
    linkedin_ads: LinkedInAdsServer | None = None
    meta_ads: MetaAdsServer | None = None

    def servers(self) -> list[StandInServer]:
        found = (self.hubspot, self.google_ads, self.salesforce, self.linkedin_ads, self.meta_ads)
        return [server for server in found if server is not None]

    def roll(self, world: World) -> None:
        """Serve ``world`` (a later day of the same company) from the same addresses and
        credentials: what a real API does overnight. Faults are not carried over."""
        for name in ("hubspot", "google_ads", "salesforce", "linkedin_ads", "meta_ads"):
            previous = getattr(self, name)
            if previous is not None:
                setattr(self, name, type(previous)(world).take_over(previous))
        if _env(self) != self.env:
            raise RuntimeError("a rolled world must keep the settings that reach it")


@contextmanager
def serve(
    world: World,
    hubspot_faults: Faults | None = None,
    google_ads_faults: Faults | None = None,
    salesforce_faults: Faults | None = None,
    linkedin_ads_faults: Faults | None = None,
    meta_ads_faults: Faults | None = None,
    host: str = StandInServer.host,
) -> Iterator[DemoSources]:
    """Run the stand-ins on 127.0.0.1 (or ``host``; free ports) until the block exits."""
    sources = DemoSources(
        HubSpotServer(world, faults=hubspot_faults),
        GoogleAdsServer(world, faults=google_ads_faults),
        {},
        salesforce=SalesforceServer(world, faults=salesforce_faults),
        linkedin_ads=LinkedInAdsServer(world, faults=linkedin_ads_faults),
        meta_ads=MetaAdsServer(world, faults=meta_ads_faults),
    )
    try:
        for server in sources.servers():
            server.host = host
            server.start()
        sources.env = _env(sources)
        yield sources
    finally:  # the servers answering now, which a roll may have replaced
        for server in sources.servers():
            server.stop()


def _env(sources: DemoSources) -> dict[str, str]:
    assert sources.salesforce and sources.linkedin_ads and sources.meta_ads
    env = env_for(sources.hubspot, sources.google_ads) | salesforce_env(sources.salesforce)
    return env | sources.linkedin_ads.env() | sources.meta_ads.env()


def env_for(hubspot: HubSpotServer, google_ads: GoogleAdsServer) -> dict[str, str]:
    credentials = google_ads.credentials
    customers = google_ads.data.customers
    return {
        "THINLINE_HUBSPOT__BASE_URL": hubspot.url,
        "THINLINE_HUBSPOT__TOKEN": hubspot.token,
        "THINLINE_GOOGLE_ADS__BASE_URL": google_ads.url,
        "THINLINE_GOOGLE_ADS__TOKEN_URL": f"{google_ads.url}/token",
        "THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN": credentials.developer_token,
        "THINLINE_GOOGLE_ADS__CLIENT_ID": credentials.client_id,
        "THINLINE_GOOGLE_ADS__CLIENT_SECRET": credentials.client_secret,
        "THINLINE_GOOGLE_ADS__REFRESH_TOKEN": credentials.refresh_token,
        "THINLINE_GOOGLE_ADS__CUSTOMER_IDS": ",".join(str(c.customer_id) for c in customers),
        "THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID": str(google_ads.data.manager.customer_id),
    }


def salesforce_env(salesforce: SalesforceServer) -> dict[str, str]:
    credentials = salesforce.credentials
    return {
        "THINLINE_SALESFORCE__BASE_URL": salesforce.url,
        "THINLINE_SALESFORCE__TOKEN_URL": salesforce.token_url,
        "THINLINE_SALESFORCE__CLIENT_ID": credentials.client_id,
        "THINLINE_SALESFORCE__CLIENT_SECRET": credentials.client_secret,
        "THINLINE_SALESFORCE__REFRESH_TOKEN": credentials.refresh_token,
    }
