import { App } from 'cdktf';
import type { TributaryConfig } from '../config/index.js';
import { AmsStack } from './ams/stack.js';
import type { TributaryStack } from './base.js';
import { BuyWithPrimeStack } from './buy-with-prime/stack.js';
import { ClickstreamStack } from './clickstream/stack.js';
import { ClientEventsStack } from './client-events/stack.js';

/**
 * Adds every stack the config turns on to `app`: one per (AMS dataset, advertising region), and one per
 * configured region for each other pipeline. The first AMS stack of each advertising region (in `ams.datasets`
 * order) also keeps the region's AMS overview dashboard.
 */
export function addStacks(app: App, config: TributaryConfig): TributaryStack[] {
  const stacks: TributaryStack[] = [];
  if (config.ams.enabled) {
    for (const region of config.ams.regions) {
      const regional = config.ams.datasets.map((datasetId) => new AmsStack(app, { config, datasetId, region }));
      // One overview per advertising region, kept by the region's first dataset (docs/ams.md#dashboards).
      if (config.ams.monitoring.regionDashboard && regional.length) regional[0].addRegionOverview(regional);
      stacks.push(...regional);
    }
  }
  if (config.buyWithPrime.enabled) {
    for (const region of config.buyWithPrime.regions) stacks.push(new BuyWithPrimeStack(app, { config, region }));
  }
  if (config.clickstream.enabled) {
    for (const region of config.clickstream.regions) stacks.push(new ClickstreamStack(app, { config, region }));
  }
  if (config.clientEvents.enabled) {
    for (const region of config.clientEvents.regions) stacks.push(new ClientEventsStack(app, { config, region }));
  }
  return stacks;
}

/** A cdktf App holding every configured stack, writing to `outdir`. */
export function buildApp(config: TributaryConfig, outdir = 'cdktf.out'): { app: App; stacks: TributaryStack[] } {
  const app = new App({ outdir, skipValidation: false });
  const stacks = addStacks(app, config);
  return { app, stacks };
}
