// Ninety days of plausible past for the demo fleet, so that the status page's 90-day bars and the
// dashboard's history mean something at first sight: hourly results for every check (mostly up,
// with a few bad days), and on the status page the incidents that explain those days, a completed
// maintenance and one still to come. Written only into a store and status page that are new.
//
// Threading: runs on the calling thread before the server starts; the store and the page are used
// only by it meanwhile.
#pragma once

#include "core/status.h"
#include "core/time.h"
#include "fleet/model.h"
#include "statuspage/status_page.h"
#include "store/store.h"

namespace csoc::demo {

// `page` must already hold the fleet's declared components (statuspage::Feed::Configure). Results
// end before the start of today (UTC), so that today's bars are the live ones.
Status SeedHistory(const fleet::Fleet& fleet, store::Store& history, statuspage::StatusPage& page, TimePoint now);

}  // namespace csoc::demo
