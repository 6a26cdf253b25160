// The admin API mounted at /_admin.
export { adminApi, requireToken, type AdminDeps } from './admin-api.js'
export { FieldError } from './validate.js'
