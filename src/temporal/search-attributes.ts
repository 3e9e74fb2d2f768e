// Search attributes the Temporal UI uses to list and filter clusters (DESIGN.md).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ClusterNameAttr = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);
export const ClusterPhaseAttr = defineSearchAttributeKey('ClusterPhase', SearchAttributeType.KEYWORD);
export const HostCountAttr = defineSearchAttributeKey('HostCount', SearchAttributeType.INT);

/** As the dev server's `--search-attribute NAME=TYPE` flags. */
export const devServerSearchAttributeFlags: string[] = [
  '--search-attribute',
  'ClusterName=Keyword',
  '--search-attribute',
  'ClusterPhase=Keyword',
  '--search-attribute',
  'HostCount=Int',
];
