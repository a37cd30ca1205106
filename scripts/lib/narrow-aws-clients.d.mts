import type { Plugin } from 'esbuild'

export declare const narrowAwsClients: Plugin
