/// <reference path="./wit.d.ts" />
/** Log lines through the host, which tags them with the plugin's name and keeps them with the attempt. */
import { log as hostLog } from "smartreach:plugin/host@0.1.0";

/** Logs `message` at trace level. */
export function trace(message: string): void {
  hostLog("trace", message);
}
/** Logs `message` at debug level. */
export function debug(message: string): void {
  hostLog("debug", message);
}
/** Logs `message` at info level. */
export function info(message: string): void {
  hostLog("info", message);
}
/** Logs `message` at warn level. */
export function warn(message: string): void {
  hostLog("warn", message);
}
/** Logs `message` at error level. */
export function error(message: string): void {
  hostLog("error", message);
}
