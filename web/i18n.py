"""Vietnamese and English interface text.

Every user-visible string of the web app is a message id in :data:`MESSAGES`, looked up
with :func:`_` (also a template global). Vietnamese is the default; the header's switch
stores the choice in the session. Roster problems are not here: they come from the
library (``Issue.message(lang)``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Flask, has_request_context, session

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

MESSAGES: dict[str, dict[str, str]] = {
    "app.name": {"vi": "Kế hoạch giúp đỡ người trở về", "en": "Reintegration planner"},
    "yes": {"vi": "Có", "en": "Yes"},
    "no": {"vi": "Không", "en": "No"},
    # navigation
    "nav.history": {"vi": "Các lần lập kế hoạch", "en": "Plan history"},
    "nav.new": {"vi": "Lập kế hoạch mới", "en": "New plan"},
    "nav.users": {"vi": "Tài khoản", "en": "Users"},
    "nav.audit": {"vi": "Nhật ký truy cập", "en": "Audit log"},
    "nav.logout": {"vi": "Đăng xuất", "en": "Log out"},
    # accounts
    "auth.login": {"vi": "Đăng nhập", "en": "Log in"},
    "auth.name": {"vi": "Tên đăng nhập", "en": "User name"},
    "auth.password": {"vi": "Mật khẩu", "en": "Password"},
    "auth.bad_login": {"vi": "Tên đăng nhập hoặc mật khẩu không đúng.",
                       "en": "Wrong user name or password."},
    "setup.title": {"vi": "Tạo tài khoản quản trị đầu tiên",
                    "en": "Create the first administrator"},
    "setup.intro": {"vi": "Đường dẫn này chỉ dùng được một lần. Tài khoản quản trị sẽ tạo "
                          "các tài khoản khác.",
                    "en": "This link works once. The administrator creates the other "
                          "accounts."},
    "setup.password2": {"vi": "Nhập lại mật khẩu", "en": "Repeat the password"},
    "setup.create": {"vi": "Tạo tài khoản", "en": "Create account"},
    "setup.done": {"vi": "Đã tạo tài khoản quản trị.", "en": "Administrator account created."},
    "role.admin": {"vi": "quản trị", "en": "administrator"},
    "role.coordinator": {"vi": "cán bộ điều phối", "en": "coordinator"},
    "users.title": {"vi": "Tài khoản người dùng", "en": "User accounts"},
    "users.new": {"vi": "Thêm tài khoản", "en": "New account"},
    "users.create": {"vi": "Tạo tài khoản", "en": "Create account"},
    "users.created": {"vi": "Đã tạo tài khoản {name}.", "en": "Account {name} created."},
    "users.updated": {"vi": "Đã cập nhật tài khoản {name}.", "en": "Account {name} updated."},
    "users.save_role": {"vi": "Lưu", "en": "Save"},
    "users.active": {"vi": "đang hoạt động", "en": "active"},
    "users.disabled": {"vi": "đã khóa", "en": "disabled"},
    "users.disable": {"vi": "Khóa", "en": "Disable"},
    "users.enable": {"vi": "Mở khóa", "en": "Enable"},
    "users.password_hint": {"vi": "Mật khẩu ít nhất {n} ký tự.",
                            "en": "Passwords have at least {n} characters."},
    "users.bad_name": {"vi": "Tên đăng nhập phải có từ 1 đến 60 ký tự, không có khoảng trắng ở "
                             "đầu hoặc cuối.",
                       "en": "The user name must have 1 to 60 characters, without spaces at "
                             "the start or end."},
    "users.bad_role": {"vi": "Vai trò không hợp lệ.", "en": "Unknown role."},
    "users.short_password": {"vi": "Mật khẩu quá ngắn: cần ít nhất {n} ký tự.",
                             "en": "The password is too short: it needs at least {n} "
                                   "characters."},
    "users.passwords_differ": {"vi": "Hai mật khẩu không giống nhau.",
                               "en": "The two passwords differ."},
    "users.name_taken": {"vi": "Tên đăng nhập này đã có.", "en": "This user name is taken."},
    "users.last_admin": {"vi": "Phải còn ít nhất một tài khoản quản trị đang hoạt động.",
                         "en": "At least one active administrator must remain."},
    "users.cannot_disable": {"vi": "Không thể khóa tài khoản này (chính bạn hoặc quản trị "
                                   "cuối cùng).",
                             "en": "This account cannot be disabled (it is yours or the last "
                                   "administrator)."},
    # history
    "history.title": {"vi": "Các lần lập kế hoạch", "en": "Plan history"},
    "history.empty": {"vi": "Chưa có lần lập kế hoạch nào. Hãy tải danh sách lên hoặc thử "
                            "dữ liệu mẫu.",
                      "en": "No plans yet. Upload your rosters or try the sample."},
    "kind.upload": {"vi": "tải lên", "en": "upload"},
    "kind.sample": {"vi": "dữ liệu mẫu", "en": "sample"},
    "kind.additions": {"vi": "thêm người mới về", "en": "new releases added"},
    "kind.full": {"vi": "danh sách mới đầy đủ", "en": "full new roster"},
    "status.invalid": {"vi": "dữ liệu có lỗi", "en": "input errors"},
    "status.ready": {"vi": "sẵn sàng", "en": "ready"},
    "status.queued": {"vi": "đang chờ", "en": "queued"},
    "status.running": {"vi": "đang tính", "en": "running"},
    "status.done": {"vi": "hoàn thành", "en": "done"},
    "status.failed": {"vi": "thất bại", "en": "failed"},
    "status.cancelled": {"vi": "đã hủy", "en": "cancelled"},
    # upload
    "upload.title": {"vi": "Tải danh sách lên", "en": "Upload rosters"},
    "upload.intro": {"vi": "Tải lên một tệp Excel có các trang Người trở về, Cựu chiến binh, "
                           "Việc làm, Học nghề (hoặc mỗi bảng một tệp). Mọi lỗi trong dữ liệu "
                           "sẽ được liệt kê cùng lúc.",
                     "en": "Upload one workbook with the sheets Returnees, Mentors, Jobs, "
                           "Training (or one file per table). Every problem in the data is "
                           "listed at once."},
    "upload.files": {"vi": "Tệp (.xlsx, .xlsm, .ods, .xls, .csv)",
                     "en": "Files (.xlsx, .xlsm, .ods, .xls, .csv)"},
    "upload.hint": {"vi": "Tối đa {mb} MB tổng cộng, tối đa {n} tệp.",
                    "en": "At most {mb} MB in total, at most {n} files."},
    "upload.submit": {"vi": "Tải lên và kiểm tra", "en": "Upload and check"},
    "upload.none": {"vi": "Hãy chọn ít nhất một tệp.", "en": "Choose at least one file."},
    "upload.too_many": {"vi": "Chỉ được tải lên tối đa {n} tệp một lần.",
                        "en": "Upload at most {n} files at a time."},
    "upload.bad_type": {"vi": "Tệp “{name}” không phải bảng tính: chỉ nhận tệp .xlsx, .xlsm, "
                              ".ods, .xls, .csv hoặc văn bản Unicode (.txt, .tsv) lưu từ Excel.",
                        "en": "“{name}” is not a spreadsheet: only .xlsx, .xlsm, .ods, .xls, "
                              ".csv and Excel's Unicode text (.txt, .tsv) are accepted."},
    "upload.empty": {"vi": "Tệp “{name}” trống.", "en": "“{name}” is empty."},
    "upload.bad_content": {"vi": "Nội dung tệp “{name}” không phải là tệp {kind} thật (có thể "
                                 "tệp đã bị đổi đuôi). Hãy mở tệp bằng Excel rồi lưu lại dưới "
                                 "dạng .xlsx.",
                           "en": "The content of “{name}” is not a real {kind} file (it may "
                                 "have been renamed). Open it in Excel and save it as .xlsx."},
    "upload.rejected_title": {"vi": "Không nhận tệp này", "en": "This file was not accepted"},
    "sample.intro": {"vi": "Chưa có dữ liệu? Hãy thử với danh sách mẫu (người giả định).",
                     "en": "No data yet? Try the sample roster (made-up people)."},
    "sample.try": {"vi": "Thử với dữ liệu mẫu", "en": "Try the sample"},
    "sample.missing": {"vi": "Chưa có tệp dữ liệu mẫu trên máy chủ này.",
                       "en": "The sample roster is not installed on this server."},
    # one run
    "run.title": {"vi": "Lần lập kế hoạch #{id}", "en": "Plan run #{id}"},
    "run.files": {"vi": "Tệp đã tải lên", "en": "Uploaded files"},
    "run.previous": {"vi": "kế hoạch trước: #{id}", "en": "previous plan: #{id}"},
    "run.roster_counts": {"vi": "{returnees} người trở về, {mentors} cựu chiến binh, {jobs} "
                                "việc làm, {trainings} khóa học nghề.",
                          "en": "{returnees} returnees, {mentors} mentors, {jobs} job "
                                "openings, {trainings} training courses."},
    "role.roster": {"vi": "danh sách", "en": "roster"},
    "role.addition": {"vi": "người mới về", "en": "new releases"},
    "role.previous_plan": {"vi": "kế hoạch trước", "en": "previous plan"},
    "run.open": {"vi": "Mở", "en": "Open"},
    "run.result": {"vi": "Xem kết quả", "en": "View result"},
    "run.start": {"vi": "Lập kế hoạch", "en": "Make the plan"},
    "run.rerun": {"vi": "Chạy lại", "en": "Re-run"},
    "run.rerun_new": {"vi": "Chạy lại với người mới về", "en": "Rerun with new releases"},
    "run.cancel": {"vi": "Hủy", "en": "Cancel"},
    "run.cancelled": {"vi": "Đã hủy lần chạy.", "en": "The run was cancelled."},
    "run.was_cancelled": {"vi": "Lần chạy này đã bị hủy.", "en": "This run was cancelled."},
    "run.cannot_start": {"vi": "Không thể bắt đầu lần chạy này lúc này.",
                         "en": "This run cannot be started now."},
    "run.can_leave": {"vi": "Bạn có thể đóng trang này: việc tính toán vẫn tiếp tục.",
                      "en": "You may close this page: the solve goes on."},
    "run.worker_gone": {"vi": "Tiến trình tính toán đã dừng bất ngờ (ví dụ máy chủ khởi động "
                              "lại). Hãy bấm Chạy lại.",
                        "en": "The solver process stopped unexpectedly (e.g. the server "
                              "restarted). Press Re-run."},
    "run.error": {"vi": "Việc lập kế hoạch gặp lỗi ({error}). Hãy thử chạy lại; nếu vẫn lỗi, "
                        "báo cho quản trị viên.",
                  "en": "Planning stopped with an error ({error}). Try again; if it fails "
                        "again, tell your administrator."},
    "run.delete": {"vi": "Xóa", "en": "Delete"},
    "run.delete_confirm": {"vi": "Xóa lần chạy #{id} cùng mọi tệp của nó? Không thể hoàn tác.",
                           "en": "Delete run #{id} and all its files? This cannot be undone."},
    "run.deleted": {"vi": "Đã xóa lần chạy #{id} và mọi tệp của nó.",
                    "en": "Run #{id} and all its files were deleted."},
    # validation report
    "report.title": {"vi": "Kết quả kiểm tra dữ liệu", "en": "Input check"},
    "report.clean": {"vi": "Không tìm thấy vấn đề nào.", "en": "No problems found."},
    "report.counts": {"vi": "{errors} lỗi, {warnings} cảnh báo.",
                      "en": "{errors} errors, {warnings} warnings."},
    "report.blocked": {"vi": "Có {n} lỗi cần sửa trước khi lập kế hoạch. Sửa trong tệp Excel "
                             "rồi tải lên lại.",
                       "en": "{n} errors must be fixed before planning. Correct them in the "
                             "workbook and upload it again."},
    "report.upload_again": {"vi": "Tải tệp đã sửa lên", "en": "Upload the corrected file"},
    "report.ready": {"vi": "Dữ liệu hợp lệ (các cảnh báo không chặn việc lập kế hoạch).",
                     "en": "The data is valid (warnings do not block planning)."},
    "report.checked_download": {"vi": "Tải danh sách có đánh dấu các ô có vấn đề (.xlsx)",
                                "en": "Download the roster with the problem cells marked (.xlsx)"},
    "report.checked_unavailable": {"vi": "Chưa tạo được bản danh sách có đánh dấu; hãy xem các "
                                         "dòng trong bảng dưới đây.",
                                   "en": "The marked-up roster could not be made; see the rows "
                                         "listed below."},
    "report.previous_plan": {"vi": "Kế hoạch trước", "en": "Previous plan"},
    "report.whole_file": {"vi": "Toàn bộ tệp", "en": "Whole file"},
    "severity.error": {"vi": "Lỗi", "en": "Error"},
    "severity.warning": {"vi": "Cảnh báo", "en": "Warning"},
    "validate.internal": {"vi": "Không kiểm tra được tệp do lỗi của chương trình. Hãy báo cho "
                                "quản trị viên.",
                          "en": "The files could not be checked because of a program error. "
                                "Tell your administrator."},
    # result
    "result.title": {"vi": "Kết quả kế hoạch #{id}", "en": "Plan #{id}"},
    "result.back_to_run": {"vi": "Chi tiết lần chạy", "en": "Run details"},
    "result.input_warnings": {"vi": "{n} cảnh báo dữ liệu", "en": "{n} input warnings"},
    "result.summary": {"vi": "Tóm tắt", "en": "Summary"},
    "result.returnees": {"vi": "Người trở về", "en": "Returnees"},
    "result.with_mentor": {"vi": "Có người giúp đỡ", "en": "With a mentor"},
    "result.with_job": {"vi": "Có việc làm", "en": "Placed in a job"},
    "result.with_training": {"vi": "Được học nghề", "en": "Placed in training"},
    "result.unassigned": {"vi": "Còn thiếu phân công", "en": "Left out"},
    "result.visits": {"vi": "Lần thăm đã xếp lịch", "en": "Visits scheduled"},
    "result.plan_date": {"vi": "Ngày bắt đầu", "en": "Plan date"},
    "result.coverage_line": {"vi": "{covered}/{total} người có người giúp đỡ ({pct}%).",
                             "en": "{covered}/{total} returnees have a mentor ({pct}%)."},
    "result.downloads": {"vi": "Tải về", "en": "Downloads"},
    "result.tiers": {"vi": "Các mục tiêu và chứng minh tối ưu", "en": "Objectives and proof"},
    "result.tiers_hint": {"vi": "Mỗi mục tiêu được tối ưu theo thứ tự; cận là giá trị tốt nhất "
                                "có thể đã được chứng minh.",
                          "en": "Objectives are optimised in order; the bound is the best "
                                "value proved possible."},
    "result.map": {"vi": "Bản đồ", "en": "Map"},
    "result.assignments": {"vi": "Phân công", "en": "Assignments"},
    "result.search": {"vi": "Tìm", "en": "Search"},
    "result.ward": {"vi": "Phường/xã", "en": "Ward"},
    "result.all_wards": {"vi": "Tất cả", "en": "All"},
    "result.showing": {"vi": "Đang hiện {shown}/{total} dòng",
                       "en": "Showing {shown} of {total} rows"},
    "result.no_mentor": {"vi": "chưa có", "en": "none"},
    "result.unassigned_title": {"vi": "Chưa được phân công và lý do",
                                "en": "Left out, and why"},
    "result.none_unassigned": {"vi": "Mọi người đều được phân công.",
                               "en": "Everyone was assigned."},
    "result.unmet_requires": {"vi": "Cặp bắt buộc không thực hiện được",
                              "en": "Required pairs that could not be made"},
    "result.unmet_requires_intro": {
        "vi": "Các dòng “bắt buộc” trong trang Cặp chỉ định mà kế hoạch không thể thực hiện, "
              "kèm lý do. Kế hoạch vẫn được lập cho mọi người khác.",
        "en": "Rows marked “require” in the Pairs sheet that the plan could not honour, with "
              "the reason. The plan is still made for everyone else."},
    "col.pairs_row": {"vi": "Dòng (Cặp chỉ định)", "en": "Pairs row"},
    "col.required": {"vi": "Cặp bắt buộc với", "en": "Required with"},
    "history.changes": {"vi": "{new} mới, {kept} giữ nguyên, {changed} thay đổi, {ended} kết thúc",
                        "en": "{new} new, {kept} kept, {changed} changed, {ended} ended"},
    "result.changes": {"vi": "Thay đổi so với kế hoạch trước",
                       "en": "Changes from the previous plan"},
    "result.changes_intro": {"vi": "So với kế hoạch #{id}: cặp đã xác nhận được giữ, các cặp "
                                   "khác chỉ đổi khi cần để giúp được nhiều người hơn.",
                             "en": "Compared with plan #{id}: confirmed pairs are kept, other "
                                   "pairs change only where that lets more people be helped."},
    "result.changes_intro_file": {"vi": "So với kế hoạch trước.",
                                  "en": "Compared with the previous plan."},
    "result.no_changes": {"vi": "Không có cặp nào thay đổi.", "en": "No pair changed."},
    "result.unscheduled": {"vi": "Lần thăm chưa xếp được lịch",
                           "en": "Visits that could not be scheduled"},
    "result.gaps": {"vi": "Thiếu hụt theo phường/xã", "en": "Capacity gaps"},
    "result.no_gaps": {"vi": "Không có thiếu hụt.", "en": "No capacity gaps."},
    "gap.ward": {"vi": "Phường/xã", "en": "Ward"},
    "gap.kind": {"vi": "Thiếu", "en": "Short of"},
    "gap.uncovered": {"vi": "Số người chưa được đáp ứng", "en": "People not covered"},
    "gap.uncovered_female": {"vi": "Trong đó nữ", "en": "Of whom women"},
    "gap.more_needed": {"vi": "Cần thêm", "en": "More needed"},
    "gap.suggestion": {"vi": "Gợi ý", "en": "Suggestion"},
    "gap.suggest.mentor": {"vi": "Cần thêm {n} cựu chiến binh ở {ward}",
                           "en": "{n} more mentor(s) in {ward}"},
    "gap.suggest.job": {"vi": "Cần thêm {n} chỗ làm trong tầm đi lại từ {ward}",
                        "en": "{n} more job slot(s) within reach of {ward}"},
    "gap.suggest.training": {"vi": "Cần thêm {n} chỗ học nghề trong tầm đi lại từ {ward}",
                             "en": "{n} more training seat(s) within reach of {ward}"},
    "risk.1": {"vi": "thấp", "en": "low"},
    "risk.2": {"vi": "trung bình", "en": "medium"},
    "risk.3": {"vi": "cao", "en": "high"},
    "tier.M1": {"vi": "Số người có người giúp đỡ", "en": "Returnees with a mentor"},
    "tier.M2": {"vi": "Tổng mức nguy cơ được giúp đỡ", "en": "Sum of risk levels covered"},
    "tier.M3": {"vi": "Số cặp bị thay đổi", "en": "Changed mentor pairs"},
    "tier.M4": {"vi": "Mức phù hợp", "en": "Suitability"},
    "tier.M5": {"vi": "Tổng quãng đường", "en": "Total travel distance"},
    "tier.J1": {"vi": "Số người có việc làm", "en": "Placed in jobs"},
    "tier.J2": {"vi": "Số người được học nghề", "en": "Placed in training"},
    "tier.J3": {"vi": "Số chỗ làm bị thay đổi", "en": "Changed placements"},
    "tier.J4": {"vi": "Phù hợp kỹ năng và nguyện vọng", "en": "Skill and preference fit"},
    "tier.J5": {"vi": "Tổng quãng đường đi làm", "en": "Total commute"},
    "change.new": {"vi": "mới", "en": "new"},
    "change.kept": {"vi": "giữ nguyên", "en": "kept"},
    "change.changed": {"vi": "thay đổi", "en": "changed"},
    "change.ended": {"vi": "kết thúc", "en": "ended"},
    "score.specialty": {"vi": "chuyên môn", "en": "specialty"},
    "score.same_ward": {"vi": "cùng phường/xã", "en": "same ward"},
    "score.affinity": {"vi": "ưu tiên", "en": "affinity"},
    "score.spread": {"vi": "chia đều", "en": "spread"},
    "score.skill_fit": {"vi": "đúng nghề", "en": "skill fit"},
    "score.away_from_home": {"vi": "làm xa nhà", "en": "away from home"},
    "score.job_affinity": {"vi": "ưu tiên việc làm", "en": "job affinity"},
    "visit.first": {"vi": "lần đầu", "en": "first visit"},
    "visit.follow-up": {"vi": "định kỳ", "en": "follow-up"},
    "missing.mentor": {"vi": "người giúp đỡ", "en": "mentor"},
    "missing.job": {"vi": "việc làm", "en": "job"},
    "missing.training": {"vi": "học nghề", "en": "training"},
    "missing.job_or_training": {"vi": "việc làm hoặc học nghề", "en": "job or training"},
    "slot.morning": {"vi": "sáng", "en": "morning"},
    "slot.afternoon": {"vi": "chiều", "en": "afternoon"},
    "slot.evening": {"vi": "tối", "en": "evening"},
    "download.xlsx-vi": {"vi": "Bảng kế hoạch (tiếng Việt, .xlsx)",
                         "en": "Plan workbook (Vietnamese, .xlsx)"},
    "download.xlsx-en": {"vi": "Bảng kế hoạch (tiếng Anh, .xlsx)",
                         "en": "Plan workbook (English, .xlsx)"},
    "result.no_workbook": {"vi": "Chưa tạo được bảng tính cho kế hoạch này; hãy dùng tệp JSON "
                                 "hoặc lịch thăm (.csv), và báo cho quản trị viên.",
                           "en": "The workbook could not be made for this plan; use the JSON "
                                 "or the visit schedule (.csv), and tell your administrator."},
    "download.json": {"vi": "Kế hoạch dạng JSON", "en": "Plan as JSON"},
    "download.schedule-csv": {"vi": "Lịch thăm theo cựu chiến binh (.csv)",
                              "en": "Visit schedule by mentor (.csv)"},
    "download.schedules-zip": {"vi": "Mỗi cựu chiến binh một tệp lịch (.zip)",
                               "en": "One schedule file per mentor (.zip)"},
    "download.ics-zip": {"vi": "Lịch thăm cho điện thoại (.ics, .zip)",
                         "en": "Visit calendars (.ics, .zip)"},
    "alt.button": {"vi": "Phương án khác", "en": "Alternatives"},
    "alt.title": {"vi": "Các cựu chiến binh thay thế cho {id}",
                  "en": "Alternative mentors for {id}"},
    "alt.loading": {"vi": "Đang tải…", "en": "Loading…"},
    "alt.none": {"vi": "Không có phương án thay thế phù hợp.",
                 "en": "No feasible alternative."},
    "alt.unavailable": {"vi": "Chưa xem được phương án thay thế lúc này.",
                        "en": "Alternatives are not available right now."},
    "map.label": {"vi": "Bản đồ các phường/xã và các cặp giúp đỡ",
                  "en": "Map of wards and mentor pairs"},
    "map.mentors": {"vi": "{ward}: {n} cựu chiến binh", "en": "{ward}: {n} mentors"},
    "map.returnees": {"vi": "{ward}: {n} người trở về, {uncovered} chưa có người giúp đỡ",
                      "en": "{ward}: {n} returnees, {uncovered} without a mentor"},
    "map.truncated": {"vi": "Chỉ vẽ {n} đường nối nhiều nhất.",
                      "en": "Only the {n} busiest lines are drawn."},
    "map.none": {"vi": "Không có tọa độ để vẽ bản đồ.", "en": "No coordinates to draw a map."},
    "map.legend_mentor": {"vi": "cựu chiến binh", "en": "mentors"},
    "map.legend_returnee": {"vi": "người trở về", "en": "returnees"},
    "map.legend_uncovered": {"vi": "có người chưa được giúp đỡ",
                             "en": "some without a mentor"},
    "map.legend_line": {"vi": "cặp giúp đỡ", "en": "mentor pairs"},
    # columns
    "col.run": {"vi": "Lần chạy", "en": "Run"},
    "col.created": {"vi": "Thời gian", "en": "Created"},
    "col.owner": {"vi": "Người tạo", "en": "Owner"},
    "col.kind": {"vi": "Loại", "en": "Kind"},
    "col.files": {"vi": "Tệp", "en": "Files"},
    "col.status": {"vi": "Trạng thái", "en": "Status"},
    "col.coverage": {"vi": "Có người giúp đỡ", "en": "With mentor"},
    "col.actions": {"vi": "Thao tác", "en": "Actions"},
    "col.severity": {"vi": "Mức", "en": "Severity"},
    "col.row": {"vi": "Dòng", "en": "Row"},
    "col.column": {"vi": "Cột", "en": "Column"},
    "col.problem": {"vi": "Vấn đề", "en": "Problem"},
    "col.tier": {"vi": "Mục tiêu", "en": "Tier"},
    "col.meaning": {"vi": "Ý nghĩa", "en": "Meaning"},
    "col.value": {"vi": "Giá trị", "en": "Value"},
    "col.bound": {"vi": "Cận", "en": "Bound"},
    "col.optimal": {"vi": "Tối ưu đã chứng minh", "en": "Proved optimal"},
    "col.returnee_id": {"vi": "Mã người trở về", "en": "Returnee id"},
    "col.returnee_name": {"vi": "Họ và tên", "en": "Name"},
    "col.ward": {"vi": "Phường/xã", "en": "Ward"},
    "col.risk": {"vi": "Nguy cơ", "en": "Risk"},
    "col.mentor": {"vi": "Cựu chiến binh", "en": "Mentor"},
    "col.mentor_id": {"vi": "Mã cựu chiến binh", "en": "Mentor id"},
    "col.mentor_name": {"vi": "Tên cựu chiến binh", "en": "Mentor name"},
    "col.mentor_phone": {"vi": "Điện thoại", "en": "Phone"},
    "col.km": {"vi": "km", "en": "km"},
    "col.job": {"vi": "Việc làm", "en": "Job"},
    "col.training": {"vi": "Học nghề", "en": "Training"},
    "col.change": {"vi": "Thay đổi", "en": "Change"},
    "col.score": {"vi": "Điểm", "en": "Score"},
    "col.score_diff": {"vi": "Chênh lệch điểm", "en": "Score difference"},
    "col.km_diff": {"vi": "Chênh lệch km", "en": "km difference"},
    "col.available": {"vi": "Còn nhận được", "en": "Available"},
    "col.note": {"vi": "Ghi chú", "en": "Note"},
    "col.reason": {"vi": "Lý do", "en": "Reason"},
    "col.old_mentor": {"vi": "Cựu chiến binh trước đây", "en": "Previous mentor"},
    "col.new_mentor": {"vi": "Cựu chiến binh mới", "en": "New mentor"},
    "col.visit_kind": {"vi": "Lần thăm", "en": "Visit"},
    "col.due": {"vi": "Hạn", "en": "Due"},
    "col.reasons": {"vi": "Lý do", "en": "Reasons"},
    "col.missing": {"vi": "Còn thiếu", "en": "Missing"},
    "col.date": {"vi": "Ngày", "en": "Date"},
    "col.slot": {"vi": "Buổi", "en": "Slot"},
    "col.role": {"vi": "Vai trò", "en": "Role"},
    "col.time": {"vi": "Thời điểm", "en": "Time"},
    "col.user": {"vi": "Người dùng", "en": "User"},
    "col.action": {"vi": "Hành động", "en": "Action"},
    "col.ip": {"vi": "Địa chỉ IP", "en": "IP address"},
    "col.detail": {"vi": "Chi tiết", "en": "Detail"},
    # rerun
    "rerun.title": {"vi": "Chạy lại kế hoạch #{id} với người mới về",
                    "en": "Rerun plan #{id} with new releases"},
    "rerun.intro": {"vi": "Kế hoạch #{id} được dùng làm kế hoạch trước: các cặp đã có được giữ "
                          "nhiều nhất có thể.",
                    "en": "Plan #{id} is used as the previous plan: existing pairs are kept as "
                          "far as possible."},
    "rerun.mode": {"vi": "Bạn tải lên", "en": "You upload"},
    "rerun.additions": {"vi": "chỉ danh sách người mới về (ghép với danh sách của lần trước)",
                        "en": "only the new returnees (merged with the earlier roster)"},
    "rerun.full": {"vi": "toàn bộ danh sách mới", "en": "a full new roster"},
    "rerun.choose_mode": {"vi": "Hãy chọn loại tệp tải lên.", "en": "Choose what you upload."},
    "rerun.previous_plan": {"vi": "kế hoạch trước", "en": "previous plan"},
    # audit log
    "audit.title": {"vi": "Nhật ký truy cập", "en": "Audit log"},
    "audit.intro": {"vi": "{total} mục. Nhật ký không chứa nội dung danh sách.",
                    "en": "{total} entries. The log holds no roster contents."},
    "action.login": {"vi": "đăng nhập", "en": "login"},
    "action.login_failed": {"vi": "đăng nhập sai", "en": "login failed"},
    "action.login_blocked": {"vi": "đăng nhập bị chặn", "en": "login blocked"},
    "action.logout": {"vi": "đăng xuất", "en": "logout"},
    "action.upload": {"vi": "tải lên", "en": "upload"},
    "action.upload_rejected": {"vi": "tệp bị từ chối", "en": "upload rejected"},
    "action.server_busy": {"vi": "máy chủ bận, yêu cầu chưa được xử lý",
                           "en": "server busy, request not handled"},
    "action.run": {"vi": "chạy", "en": "run"},
    "action.cancel": {"vi": "hủy", "en": "cancel"},
    "action.run_failed": {"vi": "chạy thất bại", "en": "run failed"},
    "action.download": {"vi": "tải về", "en": "download"},
    "action.delete": {"vi": "xóa", "en": "delete"},
    "action.user_created": {"vi": "tạo tài khoản", "en": "user created"},
    "action.user_role_changed": {"vi": "đổi vai trò", "en": "role changed"},
    "action.user_disabled": {"vi": "khóa tài khoản", "en": "user disabled"},
    "action.user_enabled": {"vi": "mở khóa tài khoản", "en": "user enabled"},
    "pager.newer": {"vi": "Mới hơn", "en": "Newer"},
    "pager.older": {"vi": "Cũ hơn", "en": "Older"},
    "pager.page": {"vi": "Trang {page}/{pages}", "en": "Page {page} of {pages}"},
    # error pages
    "busy.title": {"vi": "Máy chủ đang bận", "en": "The server is busy"},
    "busy.text": {"vi": "Máy chủ đang kiểm tra các tệp khác. Hãy đợi một lát rồi thử lại; tệp "
                        "của bạn chưa được lưu.",
                  "en": "The server is checking other files. Wait a moment and try again; "
                        "your file was not stored."},
    "error.back": {"vi": "Về trang chính", "en": "Back to the start page"},
    "error.400.title": {"vi": "Yêu cầu không hợp lệ", "en": "Bad request"},
    "error.400.text": {"vi": "Máy chủ không hiểu yêu cầu này.",
                       "en": "The server could not understand this request."},
    "error.csrf.title": {"vi": "Biểu mẫu đã hết hạn", "en": "The form has expired"},
    "error.csrf.text": {"vi": "Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang và "
                              "gửi lại.",
                        "en": "The form expired or lacks its protection token. Reload the page "
                              "and send it again."},
    "error.403.title": {"vi": "Không có quyền", "en": "Not allowed"},
    "error.403.text": {"vi": "Tài khoản của bạn không được mở trang này.",
                       "en": "Your account may not open this page."},
    "error.404.title": {"vi": "Không tìm thấy", "en": "Not found"},
    "error.404.text": {"vi": "Trang hoặc lần chạy này không có, hoặc không thuộc về bạn.",
                       "en": "This page or run does not exist, or is not yours."},
    "error.405.title": {"vi": "Không hỗ trợ", "en": "Not supported"},
    "error.405.text": {"vi": "Trang này không nhận kiểu yêu cầu đó.",
                       "en": "This page does not accept that kind of request."},
    "error.413.title": {"vi": "Tệp quá lớn", "en": "File too large"},
    "error.413.text": {"vi": "Tệp tải lên vượt quá giới hạn cho phép. Hãy xóa các trang hoặc "
                             "cột không cần thiết, hoặc chia thành nhiều tệp.",
                       "en": "The upload is larger than allowed. Remove sheets or columns that "
                             "are not needed, or split it into several files."},
    "error.429.title": {"vi": "Quá nhiều lần thử", "en": "Too many attempts"},
    "error.429.text": {"vi": "Quá nhiều lần thử. Hãy thử lại sau ít phút.",
                       "en": "Too many attempts. Try again in a few minutes."},
    # sessions, throttling, own account (issue 16)
    "auth.throttled": {"vi": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.",
                       "en": "Too many failed logins. Try again in {seconds} seconds."},
    "account.title": {"vi": "Tài khoản của tôi", "en": "My account"},
    "account.change_password": {"vi": "Đổi mật khẩu", "en": "Change password"},
    "account.current_password": {"vi": "Mật khẩu hiện tại", "en": "Current password"},
    "account.repeat_password": {"vi": "Nhập lại mật khẩu mới", "en": "Repeat the new password"},
    "account.password_ends_sessions": {
        "vi": "Đổi mật khẩu sẽ đăng xuất tài khoản này trên mọi máy khác.",
        "en": "Changing the password logs this account out on every other device."},
    "account.wrong_password": {"vi": "Mật khẩu hiện tại không đúng.",
                               "en": "The current password is wrong."},
    "account.password_changed": {"vi": "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.",
                                 "en": "Password changed. Every other session has ended."},
    "account.sessions": {"vi": "Phiên đăng nhập", "en": "Sessions"},
    "account.logout_everywhere_hint": {
        "vi": "Kết thúc mọi phiên đăng nhập của tài khoản này, kể cả phiên này (ví dụ khi mất "
              "điện thoại hoặc quên đăng xuất ở máy dùng chung).",
        "en": "End every session of this account, this one included (e.g. a lost phone or a "
              "shared computer left logged in)."},
    "action.password_changed": {"vi": "đổi mật khẩu", "en": "password changed"},
    "action.password_change_failed": {"vi": "đổi mật khẩu sai", "en": "password change failed"},
    "action.logout_everywhere": {"vi": "đăng xuất mọi nơi", "en": "logged out everywhere"},
    "action.user_logged_out": {"vi": "kết thúc phiên của tài khoản",
                               "en": "user's sessions ended"},
    "action.user_password_set": {"vi": "đặt mật khẩu cho tài khoản", "en": "user password set"},
    "users.sessions": {"vi": "Phiên đăng nhập", "en": "Sessions"},
    "users.logout_everywhere": {"vi": "Đăng xuất mọi nơi", "en": "Log out everywhere"},
    "users.logged_out": {"vi": "Đã kết thúc {n} phiên đăng nhập của {name}.",
                         "en": "Ended {n} session(s) of {name}."},
    "users.new_password": {"vi": "Mật khẩu mới", "en": "New password"},
    "users.set_password": {"vi": "Đặt mật khẩu", "en": "Set password"},
    "users.password_set": {"vi": "Đã đặt mật khẩu mới cho {name}; mọi phiên của tài khoản "
                                 "này đã kết thúc.",
                           "en": "New password set for {name}; all their sessions have "
                                 "ended."},
    "error.500.title": {"vi": "Đã có lỗi", "en": "Something went wrong"},
    "error.500.text": {"vi": "Máy chủ gặp lỗi. Dữ liệu của bạn không bị mất; hãy thử lại hoặc "
                             "báo cho quản trị viên.",
                       "en": "The server hit an error. Your data is safe; try again or tell "
                             "your administrator."},
    # the blank roster template (web/template_view.py)
    "template.download": {"vi": "Tải tệp mẫu", "en": "Download a blank template"},
    "template.hint": {"vi": "(danh sách trống có hướng dẫn và ô chọn sẵn, để điền rồi tải "
                            "lên)",
                      "en": "(an empty roster with instructions and drop-down lists, to "
                            "fill in and upload)"},
    # tables one page at a time, the report by kind, the map (issues 20 and 18)
    "col.sheet": {"vi": "Trang tính", "en": "Sheet"},
    "table.showing": {"vi": "Dòng {first}–{last} trong {total} dòng",
                      "en": "Rows {first}–{last} of {total}"},
    "table.found": {"vi": "Dòng {first}–{last} trong {total} dòng tìm thấy (tất cả: {count})",
                    "en": "Rows {first}–{last} of {total} found (all: {count})"},
    "table.none_found": {"vi": "Không có dòng nào phù hợp.", "en": "No matching rows."},
    "table.pages": {"vi": "Các trang của bảng", "en": "Table pages"},
    "table.search_hint": {"vi": "mã hoặc họ tên, có dấu hay không dấu",
                          "en": "id or name, with or without accents"},
    "table.go": {"vi": "Tìm", "en": "Find"},
    "table.loading": {"vi": "Đang tải…", "en": "Loading…"},
    "table.failed": {"vi": "Chưa tải được trang này; hãy thử lại.",
                     "en": "This page could not be loaded; try again."},
    "pager.first": {"vi": "Đầu", "en": "First"},
    "pager.prev": {"vi": "Trước", "en": "Previous"},
    "pager.next": {"vi": "Sau", "en": "Next"},
    "pager.last": {"vi": "Cuối", "en": "Last"},
    "report.errors": {"vi": "Lỗi cần sửa ({n})", "en": "Errors to fix ({n})"},
    "report.warnings": {"vi": "Cảnh báo ({n}), theo loại", "en": "Warnings ({n}), by kind"},
    "report.warnings_hint": {"vi": "Cảnh báo không chặn việc lập kế hoạch. Bấm vào một loại để "
                                   "xem các dòng.",
                             "en": "Warnings do not stop planning. Open a kind to see its "
                                   "rows."},
    "issue.ward_point": {"vi": "Vị trí lấy theo điểm đại diện của phường/xã",
                         "en": "Location taken from the ward point"},
    "issue.unreliable_point": {"vi": "Điểm đại diện của phường/xã có thể không chính xác",
                               "en": "Ward point may be inaccurate"},
    "issue.inactive_mentor": {"vi": "Cựu chiến binh không còn hoạt động",
                              "en": "Mentor marked inactive"},
    "issue.zero_capacity": {"vi": "Cựu chiến binh nhận tối đa 0 người",
                            "en": "Mentor with capacity 0"},
    "issue.old_ward_name": {"vi": "Tên phường/xã trước năm 2025", "en": "Pre-2025 ward name"},
    "issue.ignored_file": {"vi": "Tệp bị bỏ qua", "en": "File ignored"},
    "map.scale": {"vi": "{n} km", "en": "{n} km"},
    "map.by_ward": {"vi": "Nhiều người: mỗi vòng tròn là một phường/xã, mỗi đường nối là các "
                          "cặp giữa hai phường/xã.",
                    "en": "Many people: each circle is a ward, each line the pairs between "
                          "two wards."},
    "map.ward_list": {"vi": "Danh sách phường/xã trên bản đồ ({n})",
                      "en": "Wards on the map ({n})"},
    "map.col_returnees": {"vi": "Người trở về", "en": "Returnees"},
    "map.col_uncovered": {"vi": "Chưa có người giúp đỡ", "en": "Without a mentor"},
    "map.col_mentors": {"vi": "Cựu chiến binh", "en": "Mentors"},
    # loans, documents to sign and the steering committee's report (issue 19)
    "result.loans": {"vi": "Giới thiệu vay vốn", "en": "Loans referred or granted"},
    "result.loans_value": {"vi": "{n} người, {amount}", "en": "{n} people, {amount}"},
    "result.loans_title": {"vi": "Vay vốn ưu đãi", "en": "Preferential loans"},
    "result.loans_intro": {"vi": "Mỗi người xin vay và quyết định trong quỹ của phường/điểm "
                                 "giao dịch; người chưa được vay có lý do nêu rõ quỹ nào.",
                           "en": "Each loan request and the decision within its ward's or "
                                 "transaction point's capital; anyone left out has a reason "
                                 "naming the pool."},
    "result.no_loans": {"vi": "Không có ai xin vay vốn.", "en": "No one asks for a loan."},
    "result.employers": {"vi": "Doanh nghiệp nhận người trở về có thể vay theo số lao động",
                         "en": "Employers of returnees who may borrow per worker"},
    "result.report_link": {"vi": "Báo cáo Ban Chỉ đạo (số liệu theo phường/xã, biểu đồ)",
                           "en": "Steering committee report (figures per ward, chart)"},
    "download.documents": {"vi": "Tài liệu để ký (Word)", "en": "Documents to sign (Word)"},
    "col.pool": {"vi": "Quỹ cho vay", "en": "Capital pool"},
    "col.asked": {"vi": "Số tiền xin vay", "en": "Amount asked"},
    "col.loan_amount": {"vi": "Số tiền được vay", "en": "Amount"},
    "col.decision": {"vi": "Quyết định", "en": "Decision"},
    "col.employer": {"vi": "Doanh nghiệp", "en": "Employer"},
    "col.workers": {"vi": "Số lao động", "en": "Workers"},
    "col.may_borrow": {"vi": "Có thể vay", "en": "May borrow"},
    "col.planned": {"vi": "Theo kế hoạch", "en": "Planned"},
    "col.done": {"vi": "Đã thăm", "en": "Done"},
    "loan.funded": {"vi": "giới thiệu vay", "en": "referred"},
    "loan.granted": {"vi": "đã được vay", "en": "granted"},
    "loan.left_out": {"vi": "chưa đủ vốn", "en": "left out"},
    "loan.ineligible": {"vi": "chưa đủ điều kiện", "en": "not eligible"},
    "tier.L1": {"vi": "Số người được vay vốn ưu đãi", "en": "People given a loan"},
    "tier.L2": {"vi": "Điểm ưu tiên vay vốn", "en": "Loan priority points"},
    "tier.L3": {"vi": "Số vốn cho vay", "en": "Loan capital used"},
    "committee.title": {"vi": "Báo cáo Ban Chỉ đạo – kế hoạch #{id}",
                     "en": "Steering committee report – plan #{id}"},
    "committee.intro": {"vi": "Số liệu theo phường/xã và tổng cộng, ngày lập kế hoạch {date}.",
                     "en": "Figures per ward and in total, plan date {date}."},
    "committee.back": {"vi": "Quay lại kết quả kế hoạch", "en": "Back to the plan"},
    "committee.csv": {"vi": "Tải bảng số liệu (.csv)", "en": "Download the table (.csv)"},
    "committee.chart": {"vi": "Biểu đồ theo phường/xã", "en": "Chart per ward"},
    "committee.chart_title": {"vi": "Số người theo phường/xã", "en": "People per ward"},
    "committee.chart_axis": {"vi": "Số người", "en": "Number of people"},
    "committee.chart_loans": {"vi": "Được vay vốn (người)", "en": "With a loan (people)"},
    "committee.chart_left_out": {"vi": "Biểu đồ bỏ qua {n} phường/xã ít người nhất; bảng có đủ.",
                              "en": "The chart leaves out the {n} smallest wards; the "
                                    "table has them all."},
    "committee.table": {"vi": "Số liệu theo phường/xã", "en": "Figures per ward"},
    "committee.reasons": {"vi": "Lý do chính của người chưa được hỗ trợ gì",
                       "en": "Main reasons of those with nothing yet"},
    "committee.no_reasons": {"vi": "Mọi người đang quản lý đều đã có ít nhất một hỗ trợ.",
                          "en": "Everyone under management has at least one support."},
    "committee.visits": {"vi": "Lượt thăm của kế hoạch trước", "en": "Visits of the last plan"},
    "committee.visits_total": {"vi": "Đã thăm {done} trong {planned} lượt theo kế hoạch.",
                            "en": "{done} of {planned} planned visits done."},
    "committee.unmarked": {"vi": "{n} lượt chưa được đánh dấu.", "en": "{n} not marked."},
    "committee.no_visits": {"vi": "Chưa có số liệu: khi chạy lại, dùng kế hoạch có cột «Đã "
                               "thăm» đã điền.",
                         "en": "No figures yet: rerun with the plan whose «done» column is "
                               "filled in."},
    "committee.missed_first": {"vi": "Lần thăm đầu tiên bị lỡ", "en": "First visits missed"},
    "committee.idle": {"vi": "Cựu chiến binh chưa thăm ai", "en": "Mentors who visited no one"},
    "committee.missing": {"vi": "Lần chạy này chưa có báo cáo; hãy lập lại kế hoạch để có.",
                       "en": "This run has no report; plan it again to get one."},
}


def current_lang() -> str:
    if has_request_context():
        lang = session.get("lang")
        if lang in LANGS:
            return lang
    return DEFAULT_LANG


def gettext(msgid: str, lang: str | None = None, default: str | None = None,
            **params: Any) -> str:
    """The message ``msgid`` in ``lang`` (default: the session's), filled with ``params``.
    An unknown id gives ``default`` or, failing that, the id itself."""
    entry = MESSAGES.get(msgid)
    if entry is None:
        return default if default is not None else msgid
    text = entry[lang if lang in LANGS else current_lang()]
    return text.format(**params) if params else text


_ = gettext


def _datetime(ts: float | None, seconds: bool = False) -> str:
    if ts is None:
        return ""
    fmt = "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    return dt.datetime.fromtimestamp(ts).strftime(fmt)


def _isodate(text: Any) -> str:
    """An ISO date (2026-12-01) as Vietnamese offices write it: 01/12/2026."""
    try:
        return dt.date.fromisoformat(str(text)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return "" if text is None else str(text)


def _fromjson(text: str | None) -> Any:
    return json.loads(text) if text else None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["_"] = gettext
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["isodate"] = _isodate
    app.jinja_env.filters["fromjson"] = _fromjson
    app.context_processor(lambda: {"lang": current_lang()})
