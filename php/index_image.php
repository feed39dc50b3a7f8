<?php
// Sends images out of the cluster store. The web server routes image URLs
// here (docs/serving.md); the settings come from php.ini. A site whose
// siteaccesses use different stores copies this file once per siteaccess
// and passes its own, e.g. ezcluster_serve(null, ['DBName' => 'intranet']).
ezcluster_serve();
